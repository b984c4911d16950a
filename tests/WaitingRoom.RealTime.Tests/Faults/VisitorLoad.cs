using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace WaitingRoom.Tests.Faults;

/// <summary>
/// A small, bounded load on one or more room instances, recorded request by request: admitted
/// visitors keep using the site (GET /echo as JSON), queued visitors poll /_wr/status, and new
/// visitors arrive (GET / as a browser would, HTML). Requests go round-robin over the instances.
/// Runs until <see cref="StopAsync"/>; every request has a client timeout, so nothing waits forever.
/// </summary>
internal sealed class VisitorLoad : IAsyncDisposable
{
    private static readonly TimeSpan s_clientTimeout = TimeSpan.FromSeconds(10);
    private readonly Uri[] _instances;
    private readonly HttpClient _client;
    private readonly Stopwatch _clock;
    private readonly List<Sample> _samples = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private int _next;

    public VisitorLoad(Stopwatch clock, params Uri[] instances)
    {
        _clock = clock;
        _instances = instances;
        _client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, MaxConnectionsPerServer = 64 }) { Timeout = s_clientTimeout };
    }

    /// <summary>What the kind of request was.</summary>
    public enum Kind
    {
        /// <summary>An admitted visitor's request to the site.</summary>
        Active,

        /// <summary>A queued visitor's status poll.</summary>
        Poll,

        /// <summary>A new visitor's first request (HTML).</summary>
        Arrival,
    }

    /// <summary>Every request so far.</summary>
    public IReadOnlyList<Sample> Samples
    {
        get
        {
            lock (_lock)
            {
                return [.. _samples];
            }
        }
    }

    /// <summary>The shared HTTP client (no cookies of its own: each request carries its visitor's token).</summary>
    public HttpClient Client => _client;

    /// <summary>Starts the loops: each admitted visitor every <paramref name="pause"/>, each waiter every 2 × pause, one arrival every 4 × pause.</summary>
    public void Start(IReadOnlyList<string> active, IReadOnlyList<string> queued, TimeSpan pause)
    {
        foreach (var token in active)
        {
            _loops.Add(LoopAsync(Kind.Active, () => token, pause));
        }

        foreach (var token in queued)
        {
            _loops.Add(LoopAsync(Kind.Poll, () => token, pause * 2));
        }

        _loops.Add(LoopAsync(Kind.Arrival, () => null, pause * 4));
    }

    /// <summary>Waits until a recorded request satisfies <paramref name="condition"/>, at most <paramref name="limit"/>; returns it or null.</summary>
    public async Task<Sample?> WaitForAsync(Func<Sample, bool> condition, TimeSpan limit)
    {
        var deadline = _clock.Elapsed + limit;
        while (_clock.Elapsed < deadline)
        {
            var hit = Samples.FirstOrDefault(condition);
            if (hit is not null)
            {
                return hit;
            }

            await Task.Delay(20);
        }

        return Samples.FirstOrDefault(condition);
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    /// <summary>One request as the visitor saw it. Times are on the test's clock.</summary>
    public async Task<Sample> SendAsync(Kind kind, string? token, CancellationToken cancellationToken = default)
    {
        var instance = _instances[(int)((uint)Interlocked.Increment(ref _next) % _instances.Length)];
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(instance, kind switch { Kind.Active => "/echo", Kind.Poll => "/_wr/status", _ => "/" }));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(kind == Kind.Arrival ? "text/html" : "application/json"));
        if (token is not null)
        {
            request.Headers.Add("Cookie", "wr_token=" + token);
        }

        var started = _clock.Elapsed;
        HttpStatusCode? status = null;
        string? state = null;
        var forwarded = false;
        var retryAfter = false;
        string? mediaType = null;
        string? error = null;
        try
        {
            using var response = await _client.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            status = response.StatusCode;
            retryAfter = response.Headers.RetryAfter is not null;
            mediaType = response.Content.Headers.ContentType?.MediaType;
            if (mediaType == "application/json")
            {
                var json = JsonDocument.Parse(body).RootElement;
                state = json.TryGetProperty("state", out var s) ? s.GetString() : null;
                forwarded = json.TryGetProperty("method", out _);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            error = ex.GetType().Name + ": " + ex.Message;
        }

        var sample = new Sample(kind, token, started, _clock.Elapsed, status, state, forwarded, retryAfter, mediaType, error);
        lock (_lock)
        {
            _samples.Add(sample);
        }

        return sample;
    }

    private async Task LoopAsync(Kind kind, Func<string?> token, TimeSpan pause)
    {
        // Start each loop at a different moment, so the requests spread over the interval.
        await Task.Delay(Random.Shared.Next((int)pause.TotalMilliseconds + 1));
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await SendAsync(kind, token(), _stop.Token);
                await Task.Delay(pause, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _client.Dispose();
        _stop.Dispose();
    }

    /// <summary>One request: kind, visitor, start and end on the test's clock, and what came back (status null = no answer).</summary>
    public sealed record Sample(
        Kind Kind, string? Token, TimeSpan Started, TimeSpan Ended, HttpStatusCode? Status, string? State, bool Forwarded, bool RetryAfter, string? MediaType, string? Error)
    {
        public TimeSpan Duration => Ended - Started;

        /// <summary>The room's outage answer: 503 with Retry-After (HTML for arrivals, JSON for the others).</summary>
        public bool IsOutageAnswer => Status == HttpStatusCode.ServiceUnavailable && RetryAfter
            && (Kind == Kind.Arrival ? MediaType == "text/html" : State == "unknown");

        /// <summary>An answer the store decided: a forwarded admitted request, or a waiter's place.</summary>
        public bool IsStoreAnswer => Status == HttpStatusCode.OK && (Forwarded || State is "queued" or "released" or "active");

        public override string ToString() =>
            $"{Kind} {Started.TotalMilliseconds:F0}..{Ended.TotalMilliseconds:F0} ms: {(int?)Status} {State} {(Forwarded ? "forwarded" : "")} {Error}";
    }
}
