using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;
using WaitingRoom.Proxy;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Operations;

/// <summary>
/// Every WR_RELEASE_INTERVAL: loads what the admin API changed in the store (room settings, backend
/// destinations) and samples every room's numbers for metrics and the dashboard. A failure is
/// logged once per outage and tried again at the next tick.
/// </summary>
internal sealed partial class SharedStateSync(
    IWaitingRoomStore store,
    RoomTable rooms,
    RoomOverrides overrides,
    BackendDestinations backends,
    RoomMonitor monitor,
    TimeProvider time,
    IOptions<WaitingRoomOptions> options,
    ILogger<SharedStateSync> logger,
    Analytics.AnalyticsRecorder? analytics = null)
    : IntervalService(time, options.Value.ReleaseInterval)
{
    private readonly TimeProvider _time = time;

    protected override Task RunPassAsync(CancellationToken cancellationToken) => RunOnceAsync(cancellationToken);

    /// <summary>One pass: settings, destinations, numbers. Never throws except on cancellation.</summary>
    internal Task RunOnceAsync(CancellationToken cancellationToken) =>
        RunReportingOutagesAsync(SyncAsync, ex => LogFailed(logger, ex), () => LogRecovered(logger), cancellationToken);

    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        await overrides.RefreshAsync(cancellationToken);
        await backends.RefreshAsync(cancellationToken);
        var now = _time.GetUtcNow();
        foreach (var room in rooms.All)
        {
            var policy = room.PolicyAt(now);
            var counts = await store.GetCountsAsync(policy, cancellationToken);
            var capacity = policy.Adaptive ? (await store.GetCapacityAsync(policy, cancellationToken)).Effective : policy.MaxActive;
            monitor.Record(room.Name, counts, Math.Min(capacity, policy.MaxActive), now);
            analytics?.Sample(room.Name, counts, Math.Min(capacity, policy.MaxActive));
        }
    }
}
