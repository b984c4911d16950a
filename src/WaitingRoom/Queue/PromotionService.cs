using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;
using WaitingRoom.Rooms;

namespace WaitingRoom.Queue;

/// <summary>
/// Every WR_RELEASE_INTERVAL, for every room under the room's policy of that instant (its event's
/// when one runs): expires idle actives, sessions past their cap, stale waiters and unclaimed
/// releases, and releases the head of the queue into free capacity within the admission rate,
/// one atomic store call per batch. Every
/// instance runs it; the store's atomicity makes that safe, so there is no leader to lose. A failed
/// round is logged and the next one runs as usual.
/// </summary>
internal sealed partial class PromotionService : IntervalService
{
    /// <summary>Waiters moved per store call, so one call never holds Redis for long.</summary>
    internal const int BatchLimit = 2000;

    /// <summary>Calls per round at most; the rest waits for the next round.</summary>
    private const int MaxBatchesPerRound = 50;

    private readonly IWaitingRoomStore _store;
    private readonly RoomTable _rooms;
    private readonly PromotionRates _rates;
    private readonly TimeProvider _time;
    private readonly ILogger<PromotionService> _logger;
    private readonly Operations.WaitingRoomMetrics? _metrics;
    private readonly Analytics.AnalyticsRecorder? _analytics;

    public PromotionService(IWaitingRoomStore store, RoomTable rooms, PromotionRates rates, TimeProvider time, IOptions<WaitingRoomOptions> options, ILogger<PromotionService> logger, Operations.WaitingRoomMetrics? metrics = null, Analytics.AnalyticsRecorder? analytics = null)
        : base(time, options.Value.ReleaseInterval)
    {
        _analytics = analytics;
        _metrics = metrics;
        _store = store;
        _rooms = rooms;
        _rates = rates;
        _time = time;
        _logger = logger;
    }

    protected override Task RunPassAsync(CancellationToken cancellationToken) => RunRoundAsync(cancellationToken);

    /// <summary>One round for every room; never throws except on cancellation.</summary>
    internal async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        foreach (var room in _rooms.All)
        {
            await RunRoundAsync(room, cancellationToken);
        }
    }

    /// <summary>One round for one room: a failure is logged and does not stop the other rooms.</summary>
    private async Task RunRoundAsync(RoomSettings room, CancellationToken cancellationToken)
    {
        var estimator = _rates.For(room.Name);
        var policy = room.PolicyAt(_time.GetUtcNow());
        policy = policy with { NearZone = QueueScores.NearZoneFor(estimator.RatePerSecond(), policy.QueueTtl) };
        try
        {
            for (var batch = 0; batch < MaxBatchesPerRound; batch++)
            {
                var result = await _store.PromoteAsync(policy, BatchLimit, cancellationToken);
                estimator.Record(result.PromotedTotal);
                _metrics?.Promoted(room.Name, result);
                _analytics?.Promoted(room.Name, result);
                if (result.Promoted + result.Abandoned + result.ExpiredActive + result.ExpiredReleased > 0)
                {
                    Log.RoundCompleted(_logger, room.Name, result.Promoted, result.ExpiredActive, result.ExpiredReleased, result.Abandoned);
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
            Log.RoundFailed(_logger, room.Name, ex);
        }
    }
}
