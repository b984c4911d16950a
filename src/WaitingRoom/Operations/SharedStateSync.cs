using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;
using WaitingRoom.Proxy;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Operations;

/// <summary>
/// Every WR_RELEASE_INTERVAL: loads what the admin API changed in the store (rooms' run-time
/// settings, backend destinations), so every instance follows a change within one interval, and
/// samples every room's numbers for metrics, the admin API and the dashboard's chart. A failed
/// step is logged once per outage and tried again at the next tick.
/// </summary>
internal sealed partial class SharedStateSync : IntervalService
{
    private readonly IWaitingRoomStore _store;
    private readonly RoomTable _rooms;
    private readonly RoomOverrides _overrides;
    private readonly BackendDestinations _backends;
    private readonly RoomMonitor _monitor;
    private readonly TimeProvider _time;
    private readonly ILogger<SharedStateSync> _logger;

    public SharedStateSync(
        IWaitingRoomStore store,
        RoomTable rooms,
        RoomOverrides overrides,
        BackendDestinations backends,
        RoomMonitor monitor,
        TimeProvider time,
        IOptions<WaitingRoomOptions> options,
        ILogger<SharedStateSync> logger)
        : base(time, options.Value.ReleaseInterval)
    {
        _store = store;
        _rooms = rooms;
        _overrides = overrides;
        _backends = backends;
        _monitor = monitor;
        _time = time;
        _logger = logger;
    }

    protected override Task RunPassAsync(CancellationToken cancellationToken) => RunOnceAsync(cancellationToken);

    /// <summary>One pass: settings, destinations, numbers. Never throws except on cancellation.</summary>
    internal Task RunOnceAsync(CancellationToken cancellationToken) =>
        RunReportingOutagesAsync(SyncAsync, ex => Log.Failed(_logger, ex), () => Log.Recovered(_logger), cancellationToken);

    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        await _overrides.RefreshAsync(cancellationToken);
        await _backends.RefreshAsync(cancellationToken);
        var now = _time.GetUtcNow();
        foreach (var room in _rooms.All)
        {
            var policy = room.PolicyAt(now);
            var counts = await _store.GetCountsAsync(policy, cancellationToken);
            var capacity = policy.Adaptive ? (await _store.GetCapacityAsync(policy, cancellationToken)).Effective : policy.MaxActive;
            _monitor.Record(room.Name, counts, Math.Min(capacity, policy.MaxActive), now);
        }
    }
}
