using System.Diagnostics.Metrics;
using WaitingRoom.Adaptive;
using WaitingRoom.Proxy;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Operations;

/// <summary>
/// The room's instruments (meter "WaitingRoom", one per host through <see cref="IMeterFactory"/>),
/// at /_wr/metrics. Counters count what THIS instance did; room gauges are the store's numbers.
/// </summary>
internal sealed class WaitingRoomMetrics
{
    public const string MeterName = "WaitingRoom";

    /// <summary>Decision latency buckets: a store round trip is well under a millisecond on loopback.</summary>
    private static readonly double[] s_latencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private readonly Counter<long> _admitted;
    private readonly Counter<long> _promoted;
    private readonly Counter<long> _abandoned;
    private readonly Counter<long> _expired;
    private readonly Counter<long> _releasedByOrigin;
    private readonly Counter<long> _decisions;
    private readonly Histogram<double> _decisionDuration;
    private readonly Counter<long> _storeErrors;
    private readonly Histogram<double> _storeDuration;
    private readonly Counter<long> _capacityChanges;
    private readonly Counter<long> _polls;

    public WaitingRoomMetrics(IMeterFactory meterFactory, RoomTable rooms, RoomMonitor monitor, PromotionRates rates, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        // The destinations are looked up when observed: they need the store, which is measured here.
        var backends = new Lazy<BackendDestinations>(() => (BackendDestinations)services.GetService(typeof(BackendDestinations))!);
        var latency = new InstrumentAdvice<double> { HistogramBucketBoundaries = s_latencyBuckets };
        var signals = new Lazy<AdaptiveSignals?>(() => (AdaptiveSignals?)services.GetService(typeof(AdaptiveSignals)));

        _admitted = Meter.CreateCounter<long>("wr_admitted", description: "Visitors admitted straight away (a free slot, nobody waiting) by this instance.");
        _promoted = Meter.CreateCounter<long>("wr_promoted", description: "Waiters released from the queue by this instance's promotion rounds.");
        _abandoned = Meter.CreateCounter<long>("wr_abandoned", description: "Waiters dropped by this instance's promotion rounds because they stopped polling (WR_QUEUE_TTL).");
        _expired = Meter.CreateCounter<long>("wr_expired", description: "Slots freed by this instance's promotion rounds: idle or past WR_SESSION_MAX (reason=\"active\"), released but never arrived (reason=\"unclaimed\").");
        _releasedByOrigin = Meter.CreateCounter<long>("wr_released_by_origin", description: "Sessions ended at once by the origin's WR-Command: release header.");
        _decisions = Meter.CreateCounter<long>("wr_decisions", description: "Admission decisions of this instance by outcome.");
        _decisionDuration = Meter.CreateHistogram<double>("wr_decision_duration_seconds", unit: "s", description: "Time to decide one request: cookie, store round trip and answer choice.", tags: null, advice: latency);
        _storeErrors = Meter.CreateCounter<long>("wr_store_errors", description: "Store calls that failed (store unreachable or erroring), by operation.");
        _polls = Meter.CreateCounter<long>("wr_polls", description: "Polls of waiters (status and queue page) by who answered: answer=\"instance\" (far from the head, from the room's snapshot, no store call) or answer=\"store\".");
        _storeDuration = Meter.CreateHistogram<double>("wr_store_duration_seconds", unit: "s", description: "Store round-trip time by operation.", tags: null, advice: latency);

        Meter.CreateObservableGauge("wr_active", () => PerRoom(rooms, r => monitor.LatestOf(r.Name)?.Counts.Active), description: "Active visitors of the room (store-wide).");
        Meter.CreateObservableGauge("wr_queued", () => PerRoom(rooms, r => monitor.LatestOf(r.Name)?.Counts.Queued), description: "Visitors waiting in the room's queue (store-wide).");
        Meter.CreateObservableGauge("wr_released", () => PerRoom(rooms, r => monitor.LatestOf(r.Name)?.Counts.Released), description: "Visitors released from the queue who have not arrived yet (store-wide).");
        Meter.CreateObservableGauge("wr_capacity", () => PerRoom<long>(rooms, r => monitor.LatestOf(r.Name)?.Capacity), description: "The room's capacity in force: the effective capacity of an adaptive room (0 while draining or holding).");
        _capacityChanges = Meter.CreateCounter<long>("wr_capacity_changes", description: "Changes of an adaptive room's capacity made by this instance's controller, by reason (latency, errors, healthy, hold, resume, probe, operator, unpinned).");
        Meter.CreateObservableGauge("wr_origin_p95_seconds", () => PerRoom(rooms, r => r.Adaptive.On ? signals.Value?.Of(r.Name)?.P95.TotalSeconds : null), unit: "s", description: "p95 latency of the adaptive room's forwarded requests in the controller's last window on this instance.");
        Meter.CreateObservableGauge("wr_origin_error_share", () => PerRoom(rooms, r => r.Adaptive.On ? signals.Value?.Of(r.Name)?.ErrorShare : null), description: "Share of the adaptive room's forwarded requests that failed (5xx, transport) in the controller's last window on this instance.");
        Meter.CreateObservableGauge("wr_promotion_rate_per_minute", () => PerRoom<double>(rooms, r => rates.For(r.Name).RatePerMinute()), description: "Recent rate at which the room's queue moves, visitors per minute.");
        Meter.CreateObservableGauge("wr_backend_up", () => Backends(backends.Value, v => v.Destination.Disabled || v.Health == Yarp.ReverseProxy.Model.DestinationHealth.Unhealthy ? 0 : 1), description: "1 when the destination takes traffic (enabled and not unhealthy), else 0.");
        Meter.CreateObservableGauge("wr_backend_in_flight", () => Backends(backends.Value, v => v.ConcurrentRequests), description: "Requests in flight to the destination from this instance.");
        Meter.CreateObservableCounter("wr_backend_requests", () => Backends(backends.Value, v => v.Requests), description: "Requests this instance forwarded to the destination.");
        Meter.CreateObservableCounter("wr_backend_failures", () => Backends(backends.Value, v => v.Failures), description: "Requests to the destination that failed in forwarding (refused, reset, timed out).");
    }

    public Meter Meter { get; }

    public void Decided(string room, string decision, double seconds, bool admitted)
    {
        var roomTag = new KeyValuePair<string, object?>("room", room);
        _decisions.Add(1, roomTag, new KeyValuePair<string, object?>("decision", decision));
        _decisionDuration.Record(seconds, roomTag);
        if (admitted)
        {
            _admitted.Add(1, roomTag);
        }
    }

    public void Promoted(string room, PromotionResult result)
    {
        var roomTag = new KeyValuePair<string, object?>("room", room);
        _promoted.Add(result.Promoted, roomTag);
        _abandoned.Add(result.Abandoned, roomTag);
        _expired.Add(result.ExpiredActive, roomTag, new KeyValuePair<string, object?>("reason", "active"));
        _expired.Add(result.ExpiredReleased, roomTag, new KeyValuePair<string, object?>("reason", "unclaimed"));
    }

    public void CapacityChanged(string room, string reason) =>
        _capacityChanges.Add(1, new KeyValuePair<string, object?>("room", room), new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A waiter's poll (status or queue page), answered by this instance alone or by the store.</summary>
    public void Polled(string room, bool byInstance) =>
        _polls.Add(1, new KeyValuePair<string, object?>("room", room), new KeyValuePair<string, object?>("answer", byInstance ? "instance" : "store"));

    public void ReleasedByOrigin(string room) => _releasedByOrigin.Add(1, new KeyValuePair<string, object?>("room", room));

    public void StoreCall(string operation, double seconds, bool failed)
    {
        var tag = new KeyValuePair<string, object?>("operation", operation);
        _storeDuration.Record(seconds, tag);
        if (failed)
        {
            _storeErrors.Add(1, tag);
        }
    }

    /// <summary>One measurement per room that has a value, tagged with the room.</summary>
    private static IEnumerable<Measurement<T>> PerRoom<T>(RoomTable rooms, Func<RoomSettings, T?> value)
        where T : struct
    {
        foreach (var room in rooms.All)
        {
            if (value(room) is { } measured)
            {
                yield return new Measurement<T>(measured, new KeyValuePair<string, object?>("room", room.Name));
            }
        }
    }

    private static IEnumerable<Measurement<long>> Backends(BackendDestinations backends, Func<BackendDestinations.DestinationView, long> value)
    {
        foreach (var destination in backends.Current)
        {
            var view = backends.ViewOf(destination);
            yield return new Measurement<long>(
                value(view),
                new KeyValuePair<string, object?>("destination", destination.Id),
                new KeyValuePair<string, object?>("address", destination.Address));
        }
    }
}
