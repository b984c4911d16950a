using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Webhooks;

/// <summary>
/// Every WR_RELEASE_INTERVAL, on every instance: looks at each room that has a webhook URL (its queue
/// empty or not, its event phase, the capacity it admits against) and, when this instance sees a change,
/// records it in the store (<see cref="IWaitingRoomStore.RecordTransitionAsync"/>). Only the instance
/// whose call changed the shared record publishes the webhook, so each change is sent once however many
/// instances run. It also reports this instance losing and regaining the store (per instance: a store
/// that is down cannot deduplicate its own outage). The store is asked only when this instance's own
/// view changed, so a quiet room costs one counts call per interval.
/// </summary>
internal sealed partial class WebhookWatcher : IntervalService
{
    private const string QueueSubject = "queue";
    private const string PhaseSubject = "phase";
    private const string CapacitySubject = "capacity";

    private readonly IWaitingRoomStore _store;
    private readonly RoomTable _rooms;
    private readonly WebhookPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly StoreAvailability? _availability;
    private readonly ILogger<WebhookWatcher> _logger;
    private readonly Dictionary<(string Room, string Subject), string> _seen = [];
    private readonly Lock _passLock = new();
    private long _downSince;

    public WebhookWatcher(
        IWaitingRoomStore store,
        RoomTable rooms,
        WebhookPublisher publisher,
        TimeProvider time,
        IOptions<WaitingRoomOptions> options,
        ILogger<WebhookWatcher> logger,
        StoreAvailability? availability = null)
        : base(time, options.Value.ReleaseInterval)
    {
        _store = store;
        _rooms = rooms;
        _publisher = publisher;
        _time = time;
        _logger = logger;
        _availability = availability;
        Instance = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";
    }

    /// <summary>This instance in the store's webhooks: host name, process id and a few random characters.</summary>
    public string Instance { get; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_availability is not null)
        {
            _availability.AvailabilityChanged += OnAvailabilityChanged;
        }

        var global = _publisher.GlobalUrl is { } url ? WebhookOptions.Shown(url) : "(none: rooms' own webhookUrl only)";
        Log.On(_logger, global);

        return base.StartAsync(cancellationToken);
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        if (_availability is not null)
        {
            _availability.AvailabilityChanged -= OnAvailabilityChanged;
        }

        return base.StopAsync(cancellationToken);
    }

    protected override Task RunPassAsync(CancellationToken cancellationToken) => RunOnceAsync(cancellationToken);

    /// <summary>One look at every room; never throws except on cancellation (a failed pass is logged once per outage).</summary>
    internal Task RunOnceAsync(CancellationToken cancellationToken) =>
        RunReportingOutagesAsync(WatchAsync, ex => Log.WatchFailed(_logger, ex), () => Log.WatchRecovered(_logger), cancellationToken);

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        foreach (var room in _rooms.All)
        {
            if ((room.WebhookUrl ?? _publisher.GlobalUrl) is not { } url)
            {
                continue;
            }

            var now = _time.GetUtcNow();
            var phase = room.PhaseAt(now);
            var policy = room.PolicyOf(phase);
            var phaseName = VisitorResponses.PhaseName(phase);
            var fromPhase = await ChangedAsync(room, policy, PhaseSubject, phaseName, cancellationToken);
            var phaseChanged = fromPhase is not null;
            if (phaseChanged)
            {
                _publisher.Publish(url, WebhookTypes.EventPhase, room.Name, new JsonObject
                {
                    ["from"] = fromPhase,
                    ["to"] = phaseName,
                    ["start"] = Iso(room.Event?.Start),
                    ["end"] = Iso(room.Event?.End),
                    ["prequeueStart"] = Iso(room.Event?.PrequeueStart),
                });
            }

            var counts = await _store.GetCountsAsync(policy, cancellationToken);
            var (capacity, reason, pinnedBy) = await CapacityOfAsync(room, policy, phaseChanged, cancellationToken);
            if (await ChangedAsync(room, policy, QueueSubject, counts.Queued > 0 ? "waiting" : "empty", cancellationToken) is { } fromQueue)
            {
                _publisher.Publish(url, counts.Queued > 0 ? WebhookTypes.QueueStarted : WebhookTypes.QueueEmpty, room.Name, new JsonObject
                {
                    ["queued"] = counts.Queued,
                    ["active"] = counts.Active + counts.Released,
                    ["capacity"] = capacity,
                });
            }

            var capacityText = capacity.ToString(CultureInfo.InvariantCulture);
            if (await ChangedAsync(room, policy, CapacitySubject, capacityText, cancellationToken) is { } fromCapacity)
            {
                _publisher.Publish(url, WebhookTypes.CapacityChanged, room.Name, new JsonObject
                {
                    ["from"] = int.TryParse(fromCapacity, NumberStyles.None, CultureInfo.InvariantCulture, out var before) ? before : null,
                    ["to"] = capacity,
                    ["reason"] = reason,
                    ["adaptive"] = policy.Adaptive,
                    ["pinnedBy"] = pinnedBy,
                });
            }
        }
    }

    /// <summary>
    /// The previous state when this instance's view of <paramref name="subject"/> changed and its call changed
    /// the shared record (this instance reports it); null otherwise. A first record ever reports nothing.
    /// </summary>
    private async Task<string?> ChangedAsync(RoomSettings room, RoomPolicy policy, string subject, string state, CancellationToken cancellationToken)
    {
        lock (_passLock)
        {
            if (_seen.TryGetValue((room.Name, subject), out var seen) && seen == state)
            {
                return null;
            }
        }

        var transition = await _store.RecordTransitionAsync(policy, subject, state, cancellationToken);
        lock (_passLock)
        {
            _seen[(room.Name, subject)] = state;
        }

        return transition.Changed ? transition.Previous : null;
    }

    /// <summary>
    /// The capacity the room admits against now (an adaptive room's stored one, 0 while it holds) and why:
    /// the controller's reason for an adaptive room (latency, errors, origin, operator, …); for a fixed one
    /// "event" when the phase changed, "drain" while draining, else "operator" (the admin API's PATCH).
    /// </summary>
    private async Task<(int Capacity, string Reason, string? PinnedBy)> CapacityOfAsync(RoomSettings room, RoomPolicy policy, bool phaseChanged, CancellationToken cancellationToken)
    {
        if (!policy.Adaptive)
        {
            return (policy.MaxActive, phaseChanged ? "event" : room.Draining ? "drain" : "operator", null);
        }

        var state = await _store.GetCapacityAsync(policy, cancellationToken);
        return (Math.Min(policy.MaxActive, state.Effective), state.Hold ? "hold" : state.Reason, state.PinnedBy);
    }

    /// <summary>The store went down (the circuit opened) or came back, for this instance: told once each per outage; must not block.</summary>
    private void OnAvailabilityChanged(bool down)
    {
        var now = _time.GetTimestamp();
        var data = new JsonObject { ["instance"] = Instance };
        if (down)
        {
            Interlocked.Exchange(ref _downSince, now);
            data["error"] = _availability?.LastFailure?.Message;
        }
        else if (Interlocked.Exchange(ref _downSince, 0) is var since and not 0)
        {
            data["downSeconds"] = Math.Round(_time.GetElapsedTime(since, now).TotalSeconds, 1);
        }

        // Every receiver hears of it: the global URL and each room's own.
        var urls = _rooms.All.Select(r => r.WebhookUrl).Append(_publisher.GlobalUrl).OfType<Uri>().Distinct();
        foreach (var url in urls)
        {
            _publisher.Publish(url, down ? WebhookTypes.StoreDown : WebhookTypes.StoreUp, null, (JsonObject)data.DeepClone());
        }
    }

    private static string? Iso(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.WebhooksOn, Level = LogLevel.Information, EventName = nameof(EventIds.WebhooksOn),
            Message = "Webhooks on: signed events go to {Url} and to each room's own webhookUrl.")]
        public static partial void On(ILogger logger, string url);

        [LoggerMessage(EventId = EventIds.WebhookWatchFailed, Level = LogLevel.Warning, EventName = nameof(EventIds.WebhookWatchFailed),
            Message = "Could not look at the rooms for webhooks (the store did not answer); the next interval tries again, and a change meanwhile is reported then.")]
        public static partial void WatchFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = EventIds.WebhookWatchRecovered, Level = LogLevel.Information, EventName = nameof(EventIds.WebhookWatchRecovered),
            Message = "The rooms are watched for webhooks again.")]
        public static partial void WatchRecovered(ILogger logger);
    }
}
