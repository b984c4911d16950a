namespace WaitingRoom.Queue;

/// <summary>
/// The Redis keys of one room (default prefix "wr", so <c>wr:{default}:queue</c>). Every key carries the room's hash tag <c>{room}</c>, so a room's
/// scripts run on Redis Cluster (all keys in one slot).
/// </summary>
/// <remarks>
/// <code>
/// <prefix>:{<room>}:active    ZSET visitor → last seen (ms)        admitted visitors
/// <prefix>:{<room>}:released  ZSET visitor → release time (ms)     promoted, not yet arrived
/// <prefix>:{<room>}:queue     ZSET visitor → 2^50 + order × 256 + g   the line; position = ZRANK + 1; g = generation of the last poll mod 256
/// <prefix>:{<room>}:generations  HASH cur, next, g → end (ms)      the generations of polls still referenced (see QueueScores)
/// <prefix>:{<room>}:polls    LIST of order × 256 + g             who moved into generation g, in generation order (swept TTL after g ended)
/// <prefix>:{<room>}:ticket    STRING counter (INCR)                next arrival ticket
/// <prefix>:{<room>}:promoted  STRING counter                       visitors ever released
/// <prefix>:{<room>}:since     ZSET visitor → admitted at (ms)      start of each active visitor's session (WR_SESSION_MAX)
/// <prefix>:{<room>}:admits    ZSET admission → time (ms)           admissions of the last minute (WR_NEW_USERS_PER_MINUTE)
/// <prefix>:{<room>}:client:<address>:<minute>  STRING counter, 120 s TTL   new entries from one client address in one clock minute (WR_MAX_NEW_PER_IP_PER_MINUTE)
/// <prefix>:{<room>}:admitted  STRING counter                       visitors ever admitted straight away (not from the queue)
/// <prefix>:{<room>}:settings  STRING JSON                           run-time settings set through the admin API
/// <prefix>:{<room>}:capacity  HASH cap, hold, pin, why, at, v        the adaptive capacity every instance admits against (WR_ADAPTIVE)
/// <prefix>:{<room>}:capacity:changes  LIST "at|from|to|why|by|p95|err"   the last 20 changes of the adaptive capacity, newest last (RPUSH, LTRIM)
/// <prefix>:{<room>}:windows   HASH instance → "at|window"          each instance's latest window of forwarded requests (WR_ADAPTIVE)
/// <prefix>:{<room>}:transitions  HASH subject → "at|state"         the state each webhook subject was last reported in (WR_WEBHOOK_URL)
/// <prefix>:{<room>}:codes     ZSET code id → forget at (ms)        the room's access codes (Codes/), until a retention after expiry
/// <prefix>:{<room>}:code:<id> HASH hash, lane, uses, used, exp, created, revoked   one access code (its hash, never the code)
/// <prefix>:{<room>}:code:<id>:who  SET visitor ids              who redeemed it (a second redemption counts no use)
/// <prefix>:{<room>}:lane      STRING counter (INCR)                next arrival in the skip and priority lanes
/// <prefix>:{<room>}:clock     ZSET "ticket:ms" by ticket            analytics: when tickets were taken (time in queue), sampled each promotion round
/// <prefix>:{<room>}:stats:<minute>  HASH a d b r q x c w0.. s0..   analytics: one UTC minute (Unix minutes), 30 days' TTL after it ends
/// <prefix>:{<room>}:flushed:<instance>  STRING sequence, 1 day TTL  analytics: the instance's last batch applied (no batch counts twice)
/// <prefix>:backends           STRING JSON                           backend destinations as changed through the admin API
/// <prefix>:secret             STRING                               shared cookie key when WR_SECRET is unset
/// </code>
/// </remarks>
internal sealed class RoomKeys
{
    public RoomKeys(string prefix, string room)
    {
        var tag = $"{prefix}:{{{room}}}:";
        Active = tag + "active";
        Released = tag + "released";
        Queue = tag + "queue";
        Generations = tag + "generations";
        PollLog = tag + "polls";
        Ticket = tag + "ticket";
        Promoted = tag + "promoted";
        Since = tag + "since";
        Admits = tag + "admits";
        Admitted = tag + "admitted";
        Capacity = tag + "capacity";
        CapacityChanges = tag + "capacity:changes";
        Windows = tag + "windows";
        Transitions = tag + "transitions";
        Clock = tag + "clock";
        _statsPrefix = tag + "stats:";
        _flushedPrefix = tag + "flushed:";
        _clientPrefix = tag + "client:";
        Codes = tag + "codes";
        LaneTicket = tag + "lane";
        _codePrefix = tag + "code:";
    }

    // Access codes (Codes/).
    private readonly string _codePrefix;

    /// <summary>The room's access codes: id → when the record is forgotten (ms), for listing and the per-room cap.</summary>
    public string Codes { get; }

    /// <summary>The arrival counter of the skip and priority lanes.</summary>
    public string LaneTicket { get; }

    /// <summary>One access code's record (ids are base32, safe in a key).</summary>
    public string Code(string id) => _codePrefix + id;

    /// <summary>The visitors who redeemed one access code.</summary>
    public string CodeRedeemers(string id) => _codePrefix + id + ":who";

    private readonly string _clientPrefix;
    private readonly string _statsPrefix;
    private readonly string _flushedPrefix;

    /// <summary>Analytics: the ticket clock (ticket → the time of the first promotion round that saw it).</summary>
    public string Clock { get; }

    /// <summary>Analytics: the hash of one minute (Unix minutes).</summary>
    public string Stats(long minute) => _statsPrefix + minute.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Analytics: an instance's last applied batch sequence.</summary>
    public string Flushed(string instance) => _flushedPrefix + instance;

    public string Active { get; }

    public string Released { get; }

    public string Queue { get; }

    /// <summary>The generations of polls: <c>cur</c> (the latest), <c>next</c> (the oldest not yet swept), and each live one's end by g.</summary>
    public string Generations { get; }

    /// <summary>The poll log: each waiter's score less 2^50 when its poll moved it into a new generation, oldest generation first.</summary>
    public string PollLog { get; }

    public string Ticket { get; }

    public string Promoted { get; }

    public string Since { get; }

    public string Admits { get; }

    public string Admitted { get; }

    /// <summary>The adaptive capacity: <c>cap</c>, <c>hold</c> (1 while holding), <c>pin</c> (who pinned it), <c>why</c>, <c>at</c> (ms), <c>v</c> (version).</summary>
    public string Capacity { get; }

    /// <summary>The adaptive capacity's recent changes, newest last, capped: <c>at|from|to|why|by|p95|err</c> (see SetCapacityScript).</summary>
    public string CapacityChanges { get; }

    /// <summary>Each instance's latest window of forwarded requests, for the adaptive capacity: instance → <c>at|window</c>.</summary>
    public string Windows { get; }

    /// <summary>The webhooks' shared record of the room: subject (queue, phase, capacity) → <c>at|state</c> (see RecordTransitionAsync).</summary>
    public string Transitions { get; }

    /// <summary>The document name (see <see cref="IWaitingRoomStore.GetDocumentAsync"/>) of a room's run-time settings: <c>{room}:settings</c>.</summary>
    public static string SettingsDocument(string room) => $"{{{room}}}:settings";

    /// <summary>The document name of the backend destinations.</summary>
    public const string BackendsDocument = "backends";

    /// <summary>The key of a shared document.</summary>
    public static string Document(string prefix, string name) => prefix + ":" + name;

    /// <summary>The counter of new entries created from one client address (an IP, or an IPv6 /64).</summary>
    public string Client(string clientKey) => _clientPrefix + clientKey;

    public static string Secret(string prefix) => prefix + ":secret";
}
