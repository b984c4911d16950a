using WaitingRoom.Queue;

namespace WaitingRoom.Rooms;

/// <summary>
/// One room as configured: the default room from the WR_* variables, others from the rooms file
/// (WR_ROOMS_FILE), where a setting left out is the default room's. Requests are matched to rooms
/// by host and path prefix (<see cref="RoomTable"/>).
/// </summary>
public sealed class RoomSettings
{
    /// <summary>Letters, digits, '-' and '_': it becomes the Redis hash tag of the room's keys.</summary>
    public string Name { get; set; } = RoomPolicy.DefaultName;

    /// <summary>Host name (case-insensitive, without port), "*.example.com", or "*" for any host.</summary>
    public string Host { get; set; } = "*";

    /// <summary>Path prefix, starting with '/', compared case-insensitively.</summary>
    public string Path { get; set; } = "/";

    public int MaxActive { get; set; } = 100;

    public TimeSpan ActiveTtl { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan QueueTtl { get; set; } = TimeSpan.FromSeconds(300);

    public TimeSpan AdmissionWindow { get; set; } = TimeSpan.FromSeconds(120);

    public QueueMode QueueMode { get; set; } = QueueMode.Fifo;

    /// <summary>0 = no admission rate cap.</summary>
    public int NewUsersPerMinute { get; set; }

    /// <summary>Zero = no absolute session cap.</summary>
    public TimeSpan SessionMax { get; set; }

    /// <summary>0 = no per-client-address newcomer cap.</summary>
    public int MaxNewPerIpPerMinute { get; set; } = 60;

    /// <summary>Waiters the queue holds at most (WR_MAX_QUEUE); newcomers past it get the "queue full" page. 0 = no cap.</summary>
    public int MaxQueue { get; set; }

    /// <summary>Where the room's webhooks go (webhookUrl); null = WR_WEBHOOK_URL.</summary>
    public Uri? WebhookUrl { get; set; }

    /// <summary>Path prefixes inside this room that never queue (on top of WR_BYPASS_PATHS).</summary>
    public IReadOnlyList<string> BypassPaths { get; set; } = [];

    /// <summary>Networks that never queue in this room, on top of WR_ALLOW_CIDRS (rooms file only).</summary>
    public Access.NetworkList AllowCidrs { get; set; } = Access.NetworkList.Empty;

    /// <summary>Networks that get 403 in this room, on top of WR_DENY_CIDRS (rooms file only); deny wins over allow.</summary>
    public Access.NetworkList DenyCidrs { get; set; } = Access.NetworkList.Empty;

    /// <summary>Heading of the queue page; null = the page's own.</summary>
    public string? Title { get; set; }

    /// <summary>Operator's message on the queue page; null = none.</summary>
    public string? Message { get; set; }

    public RoomEvent? Event { get; set; }

    /// <summary>Adaptive capacity: off unless WR_ADAPTIVE=on or the room's <c>adaptive</c> says so.</summary>
    public AdaptiveSettings Adaptive { get; set; } = AdaptiveSettings.Off;

    /// <summary>
    /// Set through the admin API (drain): nobody new is let in, directly or from the queue, while
    /// the visitors already in finish; newcomers queue. Applied as capacity 0 in every phase.
    /// </summary>
    public bool Draining { get; set; }

    private RoomPolicy[]? _policies;

    /// <summary>
    /// A room that inherits this room's numbers (capacity, TTLs, mode, rates): what a room of the
    /// rooms file starts from before its own settings are applied. Name, match, page text, bypass
    /// paths and event are not inherited.
    /// </summary>
    public RoomSettings Inherit(string name) => new()
    {
        Name = name,
        MaxActive = MaxActive,
        ActiveTtl = ActiveTtl,
        QueueTtl = QueueTtl,
        AdmissionWindow = AdmissionWindow,
        QueueMode = QueueMode,
        NewUsersPerMinute = NewUsersPerMinute,
        SessionMax = SessionMax,
        MaxNewPerIpPerMinute = MaxNewPerIpPerMinute,
        MaxQueue = MaxQueue,

        // The controller's bounds and target are numbers too; an operator's pin is the room's own.
        Adaptive = Adaptive with { Pinned = null },
    };

    /// <summary>A copy with every setting (the admin API's run-time settings are applied to a copy of the configured room).</summary>
    public RoomSettings Copy()
    {
        var copy = (RoomSettings)MemberwiseClone();
        copy._policies = null;
        return copy;
    }

    /// <summary>The phase of the room's event at <paramref name="now"/>.</summary>
    public RoomPhase PhaseAt(DateTimeOffset now) =>
        Event is not { } e || now >= e.End ? RoomPhase.Normal
        : now >= e.Start ? RoomPhase.Event
        : e.PrequeueStart is { } prequeue && now >= prequeue ? RoomPhase.Prequeue : RoomPhase.Normal;

    /// <summary>
    /// What the store is told at <paramref name="now"/>: the room's own settings, or the event's
    /// (the pre-queue lets nobody in and, with shuffle-at-start, gives arrivals random places).
    /// The settings must not change once a policy has been asked for: the three policies are built once.
    /// </summary>
    public RoomPolicy PolicyAt(DateTimeOffset now) => PolicyOf(PhaseAt(now));

    /// <summary>The policy of one phase (see <see cref="PolicyAt"/>).</summary>
    public RoomPolicy PolicyOf(RoomPhase phase) => (_policies ??= BuildPolicies())[(int)phase];

    /// <summary>The heading for the queue page in <paramref name="phase"/>; null = the page's own.</summary>
    public string? TitleOf(RoomPhase phase) => phase == RoomPhase.Normal ? Title : Event?.Title ?? Title;

    /// <summary>The operator's message for the queue page in <paramref name="phase"/>; null = none.</summary>
    public string? MessageOf(RoomPhase phase) => phase == RoomPhase.Normal ? Message : Event?.Message ?? Message;

    /// <summary>While draining: no capacity for anyone new, and passthrough (which ignores capacity) queues instead.</summary>
    private RoomPolicy Drained(RoomPolicy policy) =>
        !Draining ? policy : policy with { MaxActive = 0, MinActive = 0, Mode = policy.Mode == QueueMode.Passthrough ? QueueMode.Fifo : policy.Mode };

    /// <summary>The adaptive bounds of a policy: the lower one never above its capacity (an event's may be smaller).</summary>
    private RoomPolicy Bounded(RoomPolicy policy) =>
        !Adaptive.On ? policy : policy with { Adaptive = true, MinActive = Math.Min(Adaptive.MinActive, policy.MaxActive) };

    private RoomPolicy[] BuildPolicies()
    {
        var normal = new RoomPolicy(Name, MaxActive, ActiveTtl, QueueTtl, AdmissionWindow)
        {
            Mode = QueueMode,
            NewUsersPerMinute = NewUsersPerMinute,
            SessionMax = SessionMax,
            MaxNewPerClientPerMinute = MaxNewPerIpPerMinute,
            MaxQueue = MaxQueue,
        };

        if (Event is not { } e)
        {
            normal = Drained(Bounded(normal));
            return [normal, normal, normal];
        }

        var during = normal with
        {
            MaxActive = e.MaxActive ?? MaxActive,
            Mode = e.QueueMode ?? QueueMode,
            NewUsersPerMinute = e.NewUsersPerMinute ?? NewUsersPerMinute,
            SessionMax = e.SessionMax ?? SessionMax,
        };
        var prequeue = during with { Mode = QueueMode.QueueAll, ShuffleArrivals = e.ShuffleAtStart };
        return [Drained(Bounded(normal)), Drained(Bounded(prequeue)), Drained(Bounded(during))];
    }
}
