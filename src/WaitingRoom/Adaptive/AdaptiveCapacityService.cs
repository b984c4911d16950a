using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;
using WaitingRoom.Operations;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Adaptive;

/// <summary>
/// Every WR_RELEASE_INTERVAL, for every adaptive room: reads the room's window of forwarded
/// requests, the room's numbers and its stored capacity, lets the room's <see cref="CapacityController"/>
/// decide and stores a change by compare-and-set. Every instance runs it; the version check and a
/// minimum gap between changes make the instances take one step per interval between them, on the
/// requests of the whole room: each instance shares its window through the store and adds the others'
/// (<see cref="IWaitingRoomStore.ShareWindowAsync"/>). An operator's pin is enforced here; the origin's pin
/// (<c>WR-Command: capacity=N</c>) is left alone until the origin says <c>capacity=auto</c>. Only the
/// instance whose write won counts, logs and audits a change (<see cref="AuditLog"/>, who "controller");
/// the store keeps it in the room's recent changes in the same step.
/// </summary>
internal sealed partial class AdaptiveCapacityService : IntervalService
{
    /// <summary>Who pins a capacity: the admin API's <c>adaptive.pinned</c>, or the origin's command.</summary>
    public const string PinnedByOperator = "operator";

    public const string PinnedByOrigin = "origin";

    private readonly IWaitingRoomStore _store;
    private readonly RoomTable _rooms;
    private readonly ForwardingMeasurements _measurements;
    private readonly AdaptiveSignals _signals;
    private readonly TimeProvider _time;
    private readonly WaitingRoomMetrics? _metrics;
    private readonly AuditLog? _audit;
    private readonly ILogger<AdaptiveCapacityService> _logger;
    private readonly TimeSpan _minGap;
    private readonly TimeSpan _interval;
    /// <summary>This instance among those that share their windows of forwarded requests through the store.</summary>
    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    private readonly ConcurrentDictionary<string, CapacityController> _controllers = new(StringComparer.OrdinalIgnoreCase);

    public AdaptiveCapacityService(
        IWaitingRoomStore store,
        RoomTable rooms,
        ForwardingMeasurements measurements,
        AdaptiveSignals signals,
        TimeProvider time,
        IOptions<WaitingRoomOptions> options,
        ILogger<AdaptiveCapacityService> logger,
        WaitingRoomMetrics? metrics = null,
        AuditLog? audit = null)
        : base(time, options.Value.ReleaseInterval)
    {
        _store = store;
        _rooms = rooms;
        _measurements = measurements;
        _signals = signals;
        _time = time;
        _metrics = metrics;
        _audit = audit;
        _logger = logger;

        // Three quarters of an interval: instances ticking a little apart still make one step per interval.
        _minGap = options.Value.ReleaseInterval * 0.75;
        _interval = options.Value.ReleaseInterval;
    }

    protected override Task RunPassAsync(CancellationToken cancellationToken) => RunOnceAsync(cancellationToken);

    /// <summary>One step for every adaptive room; never throws except on cancellation.</summary>
    internal Task RunOnceAsync(CancellationToken cancellationToken) =>
        RunReportingOutagesAsync(StepAllAsync, ex => Log.StepFailed(_logger, ex), () => Log.StepRecovered(_logger), cancellationToken);

    private async Task StepAllAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        foreach (var room in _rooms.All)
        {
            var policy = room.PolicyAt(now);
            if (policy.Adaptive && !room.Draining)
            {
                await StepAsync(room, policy, now, cancellationToken);
            }
        }
    }

    private async Task StepAsync(RoomSettings room, RoomPolicy policy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var stats = _measurements.For(room.Name);
        var shared = await _store.ShareWindowAsync(policy, _instance, _instance + ";" + stats.Collect(), _interval * 1.5, cancellationToken);
        var window = stats.Read(shared);
        var state = await _store.GetCapacityAsync(policy, cancellationToken);
        var controller = _controllers.GetOrAdd(room.Name, static (_, interval) => new CapacityController(interval), _interval);
        CapacityChange? change;
        if (room.Adaptive.Pinned is not null || state.PinnedBy == PinnedByOperator)
        {
            if (room.Adaptive.Pinned is not null)
            {
                stats.Restart();
            }

            // A pin set or taken away through another instance a moment ago is not undone before this
            // instance's settings have caught up with it (they are read once an interval).
            change = CapacityPin.JustChanged(state, now, _interval * 2) ? null : CapacityPin.OperatorChangeFor(room.Adaptive.Pinned, policy, state);
        }
        else if (state.PinnedBy is not null)
        {
            stats.Restart();
            change = null;
        }
        else
        {
            var counts = await _store.GetCountsAsync(policy, cancellationToken);
            var used = counts.Active + counts.Released;
            var sinceChange = state.ChangedAt is { } at ? now - at : TimeSpan.MaxValue;
            var step = controller.Decide(policy, room.Adaptive, state, counts.Active, used, window, sinceChange);
            if (step.UsedWindow)
            {
                stats.Restart();
                if (window.Requests > 0)
                {
                    _signals.Record(room.Name, new AdaptiveSignal(window.P95, window.ErrorShare, window.Requests, controller.Baseline, now));
                }
            }

            // Holding must not wait for the gap: newcomers stop within the interval the failures began.
            change = step.Changes(state)
                ? new CapacityChange(state.Version, step.Capacity, step.Hold, null, step.Reason, step.Hold ? TimeSpan.Zero : _minGap)
                {
                    By = AuditLog.Controller,
                    P95 = window.Succeeded > 0 ? Math.Round(window.P95.TotalSeconds, 4) : null,
                    ErrorShare = window.Requests > 0 ? Math.Round(window.ErrorShare, 4) : null,
                }
                : null;
            if (change is not null && await _store.TrySetCapacityAsync(policy, change, cancellationToken) is { } stored)
            {
                Changed(room.Name, state, stored, window, used, counts.Queued);
            }

            return;
        }

        if (change is not null && await _store.TrySetCapacityAsync(policy, change, cancellationToken) is { } set)
        {
            Changed(room.Name, state, set, window: null, -1, -1);
        }
    }

    /// <summary>A change this instance stored (its write won): the counter, the log line and the audit line.</summary>
    private void Changed(string room, CapacityState before, CapacityState after, ForwardingWindow? window, long used, long queued)
    {
        _metrics?.CapacityChanged(room, after.Reason);
        var seen = window ?? default;
        var p95 = Math.Round(seen.P95.TotalSeconds, 3);
        var errors = Math.Round(seen.ErrorShare, 3);
        if (after.Hold && !before.Hold)
        {
            Log.Hold(_logger, room, before.Capacity, seen.Failed, seen.Requests, seen.FailingRun);
        }
        else
        {
            Log.Changed(_logger, room, before.Effective, after.Effective, after.Reason, p95, errors, seen.Requests, used, queued);
        }

        // The signal behind it, when the controller judged a window; a pin or unpin is the operator's setting.
        var signal = window is { Requests: > 0 } w
            ? string.Create(CultureInfo.InvariantCulture, $"; p95 {(w.Succeeded > 0 ? p95.ToString(CultureInfo.InvariantCulture) + " s" : "-")}, error share {errors} over {w.Requests} requests")
            : "";
        _audit?.Capacity(AuditLog.Controller, "instance " + _instance, room, before, after, signal);
    }
}
