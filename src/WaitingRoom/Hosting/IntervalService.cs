using Microsoft.Extensions.Hosting;

namespace WaitingRoom.Hosting;

/// <summary>
/// A background loop: one pass at start, then one per interval (PeriodicTimer on the host's
/// <see cref="TimeProvider"/>), quiet on shutdown. A pass must not throw for a failure it can
/// recover from: it logs and the next tick tries again.
/// </summary>
internal abstract class IntervalService : BackgroundService
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;

    protected IntervalService(TimeProvider time, TimeSpan interval)
    {
        _time = time;
        _interval = interval;
    }

    /// <summary>One pass; throws only on cancellation.</summary>
    protected abstract Task RunPassAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            do
            {
                await RunPassAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
