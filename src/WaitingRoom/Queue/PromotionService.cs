using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Hosting;

namespace WaitingRoom.Queue;

/// <summary>
/// Every WR_RELEASE_INTERVAL: expires idle actives, stale waiters and unclaimed releases, and
/// releases the head of the queue into free capacity, one atomic store call per batch. Every
/// instance runs it; the store's atomicity makes that safe, so there is no leader to lose. A failed
/// round is logged and the next one runs as usual.
/// </summary>
internal sealed partial class PromotionService : BackgroundService
{
    /// <summary>Waiters moved per store call, so one call never holds Redis for long.</summary>
    internal const int BatchLimit = 2000;

    /// <summary>Calls per round at most; the rest waits for the next round.</summary>
    private const int MaxBatchesPerRound = 50;

    private readonly IWaitingRoomStore _store;
    private readonly RoomPolicy _room;
    private readonly PromotionRateEstimator _estimator;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger<PromotionService> _logger;

    public PromotionService(IWaitingRoomStore store, RoomPolicy room, PromotionRateEstimator estimator, TimeProvider time, IOptions<WaitingRoomOptions> options, ILogger<PromotionService> logger)
    {
        _store = store;
        _room = room;
        _estimator = estimator;
        _time = time;
        _interval = options.Value.ReleaseInterval;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            do
            {
                await RunRoundAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>One round for the room; never throws except on cancellation.</summary>
    internal async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        try
        {
            for (var batch = 0; batch < MaxBatchesPerRound; batch++)
            {
                var result = await _store.PromoteAsync(_room, BatchLimit, cancellationToken);
                _estimator.Record(result.PromotedTotal);
                if (result.Promoted + result.Abandoned + result.ExpiredActive + result.ExpiredReleased > 0)
                {
                    Log.RoundCompleted(_logger, _room.Name, result.Promoted, result.ExpiredActive, result.ExpiredReleased, result.Abandoned);
                }

                if (!result.HasMore)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Never let one failure end promotion for good: log it, the next tick tries again.
            Log.RoundFailed(_logger, _room.Name, ex);
        }
    }
}
