namespace WaitingRoom.Queue;

/// <summary>
/// Where a room's visitors live. Every method is one atomic step: no caller ever checks and then
/// acts in two calls, so capacity and order hold with any number of proxy instances.
/// Time comes from the store's <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// Two implementations: <see cref="RedisWaitingRoomStore"/> (shared by any number of instances)
/// and <see cref="InMemoryWaitingRoomStore"/> (the embedded default, one instance). One
/// conformance suite runs against both so their rules cannot drift.
/// </remarks>
public interface IWaitingRoomStore
{
    /// <summary>A short name for logs and readiness: "redis" or "memory".</summary>
    string Kind { get; }

    /// <summary>
    /// Decides one request: active → refresh; released within the admission window → active;
    /// free capacity, room in the admission rate and nobody queued ahead → active; otherwise queue
    /// (or keep the place). The room's mode changes this: passthrough admits everyone, queue-all
    /// nobody, reject answers <see cref="VisitorState.Rejected"/> instead of queueing a newcomer.
    /// A newcomer from <paramref name="clientKey"/> past <see cref="RoomPolicy.MaxNewPerClientPerMinute"/>
    /// gets <see cref="VisitorState.Limited"/> and no entry; a newcomer while the queue holds <see cref="RoomPolicy.MaxQueue"/>
    /// waiters gets <see cref="VisitorState.Full"/> and no entry (waiters keep their places).
    /// </summary>
    /// <param name="room">The room's policy at this instant.</param>
    /// <param name="visitorId">The visitor's id from its signed cookie.</param>
    /// <param name="clientKey">The client's address (IPv4, or the IPv6 /64), or null when unknown (no per-client cap).</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    Task<AdmissionResult> AdmitAsync(RoomPolicy room, string visitorId, string? clientKey, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="AdmitAsync"/> for a visitor the room already holds (active, released, queued, or pushed
    /// back by queue-all), in the same one atomic step; a newcomer gets <see cref="VisitorState.Unknown"/>
    /// with the queue length, and nothing is taken, counted or queued: with WR_POW it must show a proof
    /// of work first. Passthrough admits everyone, as <see cref="AdmitAsync"/> does.
    /// </summary>
    Task<AdmissionResult> AdmitKnownAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken);

    /// <summary>
    /// The visitor's state for a status poll. A queued visitor's poll refreshes its last-seen so
    /// it keeps its place; nothing else changes, and an unknown visitor is not queued.
    /// </summary>
    Task<AdmissionResult> GetStatusAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken);

    /// <summary>
    /// One promotion round: expire idle actives, sessions past their cap, stale waiters and
    /// unclaimed releases, then release the head of the queue into free capacity, within the
    /// admission rate (none in queue-all; everyone in passthrough). At most <paramref name="limit"/> waiters are dropped
    /// and at most <paramref name="limit"/> released per call; <see cref="PromotionResult.HasMore"/> says when to call again.
    /// </summary>
    Task<PromotionResult> PromoteAsync(RoomPolicy room, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Ends an active visitor's session at once (the origin answered <c>WR-Command: release</c>):
    /// its slot is free for the next visitor. Returns false when the visitor was not active.
    /// </summary>
    Task<bool> ReleaseAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken);

    /// <summary>
    /// Refreshes the last-seen of active visitors whose requests an instance admitted from its
    /// local admission cache (<see cref="AdmissionCache"/>), in one atomic step for the batch. A visitor
    /// who is no longer active (released by the origin or an administrator, idle past the active TTL,
    /// past the session cap) is not refreshed and is returned, so the cache forgets it.
    /// Never admits anyone: capacity is untouched. O(log N) per visitor.
    /// </summary>
    /// <returns>The visitors of <paramref name="visitorIds"/> that are not active any more.</returns>
    Task<IReadOnlyList<string>> TouchAsync(RoomPolicy room, IReadOnlyList<string> visitorIds, CancellationToken cancellationToken);

    /// <summary>
    /// The room's adaptive capacity as stored, within the policy's bounds (its lower bound while
    /// none was stored). An adaptive policy's admissions and promotions use exactly this number,
    /// atomically with the decision (nobody new while it holds); a lower number never removes anyone
    /// already admitted: it only stops admissions until enough visitors have left.
    /// </summary>
    Task<CapacityState> GetCapacityAsync(RoomPolicy room, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a new adaptive capacity (clamped to the policy's bounds) by compare-and-set on the
    /// version (see <see cref="CapacityChange"/>). Returns the state stored, or null when the version
    /// moved or the last change is younger than the change's minimum gap.
    /// </summary>
    Task<CapacityState?> TrySetCapacityAsync(RoomPolicy room, CapacityChange change, CancellationToken cancellationToken);

    /// <summary>
    /// The room's most recent changes of its adaptive capacity, newest first, at most
    /// <see cref="CapacityChangeRecord.Kept"/>: each one added by <see cref="TrySetCapacityAsync"/> in the
    /// same atomic step that stored it, so the list is the same on every instance. O(1).
    /// </summary>
    Task<IReadOnlyList<CapacityChangeRecord>> GetCapacityChangesAsync(RoomPolicy room, CancellationToken cancellationToken);

    /// <summary>
    /// Shares this instance's latest window of an adaptive room's forwarded requests (opaque text)
    /// and returns the latest window of every other instance shared within <paramref name="maxAge"/>,
    /// in one step; older ones are removed. Every instance then decides on the requests of the whole
    /// room, not on its own share of them (a third of the requests makes a noisy p95).
    /// </summary>
    Task<IReadOnlyList<string>> ShareWindowAsync(RoomPolicy room, string instance, string window, TimeSpan maxAge, CancellationToken cancellationToken);

    /// <summary>
    /// Records that this instance now sees the room's <paramref name="subject"/> (queue, phase, capacity: what
    /// a webhook reports) in <paramref name="state"/>, in one atomic step, and says whether this call changed the
    /// shared record: of all the instances that see the same change, exactly one gets <see cref="StateTransition.Changed"/>
    /// (so one instance sends the webhook). An observation older than the one recorded changes nothing, so an
    /// instance that sampled before a change cannot undo it. O(1).
    /// </summary>
    Task<StateTransition> RecordTransitionAsync(RoomPolicy room, string subject, string state, CancellationToken cancellationToken);

    // Access codes (see Codes/): records by id, and the one atomic step that redeems a code.

    /// <summary>
    /// Stores a new access code of the room (only its hash: the code itself is never stored). False when
    /// the room already holds <paramref name="maxCodes"/> codes that are not past their retention.
    /// </summary>
    Task<bool> CreateCodeAsync(RoomPolicy room, Codes.AccessCode code, int maxCodes, CancellationToken cancellationToken);

    /// <summary>The room's access codes with their uses so far, newest first (a code is forgotten a retention after it expired).</summary>
    Task<IReadOnlyList<Codes.AccessCode>> ListCodesAsync(RoomPolicy room, CancellationToken cancellationToken);

    /// <summary>Revokes a code: it redeems no more; places it already gave are kept. Null when the room has no such code.</summary>
    Task<Codes.AccessCode?> RevokeCodeAsync(RoomPolicy room, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Redeems code <paramref name="id"/> (whose hash must be <paramref name="hash"/>) for a visitor, in ONE atomic
    /// step: an unknown, revoked, expired or used-up code changes nothing; a visitor already active or released
    /// is not charged; one who redeemed this code before is not charged again; otherwise one use is counted
    /// (never more than the code's uses, across instances) and the visitor is put in the code's lane of the
    /// queue (<see cref="QueueScores.SkipBase"/>, <see cref="QueueScores.PriorityBase"/>) unless it already
    /// waits there or further ahead. Capacity is untouched: the lane is only an order of the queue.
    /// </summary>
    Task<Codes.CodeRedemption> RedeemCodeAsync(RoomPolicy room, string id, string hash, string visitorId, CancellationToken cancellationToken);

    /// <summary>
    /// Adds one instance's batch of per-minute analytics to the room's minutes (counts added, samples
    /// kept at their maximum), each minute kept for <see cref="Analytics.AnalyticsBatch.Retention"/> after it
    /// ends (older minutes are skipped). A batch whose sequence is not above the last one applied for its
    /// instance is not applied again: false. One atomic step, so a retried batch counts once.
    /// </summary>
    Task<bool> AddAnalyticsAsync(RoomPolicy room, Analytics.AnalyticsBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// The room's stored minutes from <paramref name="fromMinute"/> up to, not including, <paramref name="toMinute"/>
    /// (Unix minutes), oldest first; minutes without data are left out. At most 43,200 minutes per call.
    /// </summary>
    Task<IReadOnlyList<Analytics.AnalyticsMinute>> GetAnalyticsAsync(RoomPolicy room, long fromMinute, long toMinute, CancellationToken cancellationToken);

    /// <summary>
    /// The queue's head, length and near mark (<see cref="QueueSnapshot"/>), from which every instance answers the
    /// polls of waiters far from the head by itself. Read only, O(log N).
    /// </summary>
    Task<QueueSnapshot> GetQueueSnapshotAsync(RoomPolicy room, CancellationToken cancellationToken);

    /// <summary>Current numbers of the room, for readiness, metrics and tests.</summary>
    Task<RoomCounts> GetCountsAsync(RoomPolicy room, CancellationToken cancellationToken);

    /// <summary>
    /// Empties the room's queue (admin reset): every waiter loses its place; active and released
    /// visitors are kept. Returns how many waiters were removed.
    /// </summary>
    Task<long> ResetQueueAsync(RoomPolicy room, CancellationToken cancellationToken);

    /// <summary>
    /// A small shared document (JSON text) by name: a room's run-time settings, the backend
    /// destinations. Null when none was stored. Names of room documents carry the room's hash tag.
    /// </summary>
    Task<string?> GetDocumentAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="value"/> under <paramref name="name"/> only when the stored text is
    /// still <paramref name="expected"/> (null = none stored): an atomic compare-and-set, so two
    /// administrators changing the same document at once cannot lose one change. False = changed meanwhile.
    /// </summary>
    Task<bool> TrySetDocumentAsync(string name, string? expected, string value, CancellationToken cancellationToken);

    /// <summary>
    /// Returns the cookie signing secret shared by every instance: <paramref name="candidate"/>
    /// when none existed yet (it is stored), else the one stored first.
    /// </summary>
    Task<string> GetOrCreateSecretAsync(string candidate, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="StoreUnavailableException"/> when the store cannot be reached.</summary>
    Task PingAsync(CancellationToken cancellationToken);
}
