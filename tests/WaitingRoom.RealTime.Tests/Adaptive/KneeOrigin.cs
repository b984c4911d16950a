using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WaitingRoom.Tests.Adaptive;

/// <summary>
/// A real HTTP origin on 127.0.0.1 whose latency grows steeply past <see cref="Workers"/> requests
/// in flight: K workers each take <see cref="ServiceTime"/> per request, and a request beyond K
/// waits for a worker (a queue, as a server's thread or connection pool is). K can change at run
/// time; <see cref="Failing"/> makes every answer a 503 at once. It measures its own latency (arrival
/// to answer), so a test can tell whether the origin's p95 is under the target. /leave answers with
/// <c>WR-Command: release</c>: a visitor who leaves frees its slot at once.
/// </summary>
internal sealed class KneeOrigin : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource> _waiting = new();
    private readonly List<(long At, double Seconds)> _latencies = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _workers;
    private int _busy;
    private long _inFlight;
    private long _maxInFlight;

    private KneeOrigin(WebApplication app, int workers)
    {
        _app = app;
        _workers = workers;
    }

    public Uri Address { get; private set; } = null!;

    public TimeSpan ServiceTime { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>K: the requests served at once; more wait.</summary>
    public int Workers
    {
        get
        {
            lock (_lock)
            {
                return _workers;
            }
        }

        set
        {
            lock (_lock)
            {
                _workers = value;
                while (_busy < _workers && _waiting.TryDequeue(out var next))
                {
                    if (next.TrySetResult())
                    {
                        _busy++;
                    }
                }
            }
        }
    }

    /// <summary>True: every request gets 503 at once, as an origin that fell over.</summary>
    public bool Failing { get; set; }

    /// <summary>Requests answered 200.</summary>
    public long Served { get; private set; }

    /// <summary>Requests answered 503.</summary>
    public long Refused { get; private set; }

    public static async Task<KneeOrigin> StartAsync(int workers, TimeSpan serviceTime)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var origin = new KneeOrigin(app, workers) { ServiceTime = serviceTime };
        app.Run(origin.ServeAsync);
        await app.StartAsync();
        origin.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return origin;
    }

    /// <summary>The p95 of the latencies of requests answered in the last <paramref name="span"/>; null without any.</summary>
    public double? P95Over(TimeSpan span)
    {
        var since = _clock.ElapsedTicks - (long)(span.TotalSeconds * Stopwatch.Frequency);
        List<double> recent;
        lock (_lock)
        {
            recent = [.. _latencies.Where(l => l.At >= since).Select(l => l.Seconds)];
        }

        if (recent.Count == 0)
        {
            return null;
        }

        recent.Sort();
        return recent[Math.Min(recent.Count - 1, (int)Math.Ceiling(recent.Count * 0.95) - 1)];
    }

    /// <summary>The most requests in flight at once since the last call.</summary>
    public long TakeMaxInFlight() => Interlocked.Exchange(ref _maxInFlight, Interlocked.Read(ref _inFlight));

    private async Task ServeAsync(HttpContext context)
    {
        if (Failing)
        {
            lock (_lock)
            {
                Refused++;
            }

            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync("down");
            return;
        }

        var started = _clock.ElapsedTicks;
        var inFlight = Interlocked.Increment(ref _inFlight);
        var max = Interlocked.Read(ref _maxInFlight);
        while (inFlight > max && Interlocked.CompareExchange(ref _maxInFlight, inFlight, max) != max)
        {
            max = Interlocked.Read(ref _maxInFlight);
        }

        try
        {
            await AcquireAsync(context.RequestAborted);
            try
            {
                await Task.Delay(ServiceTime, context.RequestAborted);
            }
            finally
            {
                ReleaseWorker();
            }

            lock (_lock)
            {
                Served++;
                _latencies.Add((_clock.ElapsedTicks, (double)(_clock.ElapsedTicks - started) / Stopwatch.Frequency));
            }

            if (context.Request.Path.StartsWithSegments("/leave", StringComparison.Ordinal))
            {
                context.Response.Headers["WR-Command"] = "release";
            }

            await context.Response.WriteAsync("backend:" + context.Request.Path);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The proxy gave up on the request.
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task AcquireAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource turn;
        lock (_lock)
        {
            if (_busy < _workers)
            {
                _busy++;
                return;
            }

            turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(turn);
        }

        // A request that goes away gives up its turn: a worker is never handed to nobody.
        await using var registration = cancellationToken.Register(() => turn.TrySetCanceled(cancellationToken));
        await turn.Task;
    }

    private void ReleaseWorker()
    {
        lock (_lock)
        {
            // A worker goes to the next request in line only while K allows it (K may have shrunk).
            while (_busy <= _workers && _waiting.TryDequeue(out var next))
            {
                if (next.TrySetResult())
                {
                    return;
                }
            }

            _busy--;
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            while (_waiting.TryDequeue(out var waiting))
            {
                waiting.TrySetCanceled();
            }
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
