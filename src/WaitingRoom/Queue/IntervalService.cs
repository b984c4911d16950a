using Microsoft.Extensions.Hosting;

namespace WaitingRoom.Queue;

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

    private bool _failing;

    /// <summary>
    /// Runs <paramref name="work"/> and reports an outage once: the first failure of a run of
    /// failures goes to <paramref name="failed"/>, the first success after it to
    /// <paramref name="recovered"/> (when given); the failures between are quiet. Throws only on cancellation.
    /// </summary>
    protected async Task RunReportingOutagesAsync(Func<CancellationToken, Task> work, Action<Exception> failed, Action? recovered, CancellationToken cancellationToken)
    {
        try
        {
            await work(cancellationToken);
            if (_failing)
            {
                _failing = false;
                recovered?.Invoke();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            if (!_failing)
            {
                _failing = true;
                failed(ex);
            }
        }
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
