using System.Collections.Concurrent;
using System.Net;

namespace WaitingRoom.Tests.ScaleOut;

/// <summary>
/// A round-robin load balancer on the client side: every request goes to the next instance in
/// turn, so one visitor's requests land on every instance. Sends the visitor's cookie by hand
/// (no cookie container), asks for JSON, and counts every answer by status.
/// </summary>
internal sealed class RoundRobin : IDisposable
{
    private readonly HttpClient[] _clients;
    private readonly string _cookieName;
    private long _next = -1;
    private long _requests;
    private long _serverErrors;
    private long _transportErrors;

    public RoundRobin(IEnumerable<Uri> instances, string cookieName)
    {
        _cookieName = cookieName;
        _clients = [.. instances.Select(address => new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = 256,
        })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(30),
        })];
    }

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Answers with a status of 500 or more.</summary>
    public long ServerErrors => Interlocked.Read(ref _serverErrors);

    /// <summary>Requests that got no HTTP answer at all (refused, reset).</summary>
    public long TransportErrors => Interlocked.Read(ref _transportErrors);

    /// <summary>The first few 5xx answers and transport failures, for the failure message.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>GET with <c>Accept: application/json</c>, with the visitor's token when it has one.</summary>
    public async Task<Answer> GetAsync(string pathAndQuery, string? token, CancellationToken cancellationToken)
    {
        var instance = (int)(Interlocked.Increment(ref _next) % _clients.Length);
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Accept.ParseAdd("application/json");
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Cookie", $"{_cookieName}={token}");
        }

        Interlocked.Increment(ref _requests);
        try
        {
            using var response = await _clients[instance].SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var status = (int)response.StatusCode;
            if (status >= 500)
            {
                Interlocked.Increment(ref _serverErrors);
                Note($"{status} from instance {instance} for GET {pathAndQuery}: {Cut(body)}");
            }

            return new Answer(status, body, TokenOf(response), instance);
        }
        catch (HttpRequestException ex)
        {
            Interlocked.Increment(ref _transportErrors);
            Note($"no answer from instance {instance} for GET {pathAndQuery}: {ex.Message}");
            return new Answer(0, "", null, instance);
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    private string? TokenOf(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            return null;
        }

        foreach (var cookie in cookies)
        {
            if (cookie.StartsWith(_cookieName + "=", StringComparison.Ordinal))
            {
                var end = cookie.IndexOf(';', StringComparison.Ordinal);
                return WebUtility.UrlDecode(cookie[(_cookieName.Length + 1)..(end < 0 ? cookie.Length : end)]);
            }
        }

        return null;
    }

    private void Note(string error)
    {
        if (Errors.Count < 20)
        {
            Errors.Enqueue(error);
        }
    }

    private static string Cut(string text) => text.Length > 200 ? text[..200] : text;

    /// <summary>One answer: status (0 = none), body, the token a Set-Cookie carried, and which instance answered.</summary>
    internal sealed record Answer(int Status, string Body, string? SetToken, int Instance)
    {
        /// <summary>Forwarded to the backend: the visitor is admitted.</summary>
        public bool FromBackend => Status == 200 && Body.StartsWith("backend:", StringComparison.Ordinal);

        /// <summary>The JSON state (queued, released, active, unknown, …), or null when the body is not the room's JSON.</summary>
        public string? State => Json()?.TryGetProperty("state", out var state) == true ? state.GetString() : null;

        public long Position => Json()?.TryGetProperty("position", out var position) == true ? position.GetInt64() : -1;

        private System.Text.Json.JsonElement? Json()
        {
            if (Body.Length == 0 || Body[0] != '{')
            {
                return null;
            }

            try
            {
                return System.Text.Json.JsonDocument.Parse(Body).RootElement.Clone();
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
    }
}
