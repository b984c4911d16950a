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
    /// free capacity and nobody queued ahead → active; otherwise queue (or keep the place).
    /// </summary>
    Task<AdmissionResult> AdmitAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken);

    /// <summary>
    /// The visitor's state for a status poll. A queued visitor's poll refreshes its last-seen so
    /// it keeps its place; nothing else changes, and an unknown visitor is not queued.
    /// </summary>
    Task<AdmissionResult> GetStatusAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken);

    /// <summary>
    /// One promotion round: expire idle actives, stale waiters and unclaimed releases, then release
    /// the head of the queue into free capacity. At most <paramref name="limit"/> waiters are dropped
    /// and at most <paramref name="limit"/> released per call; <see cref="PromotionResult.HasMore"/> says when to call again.
    /// </summary>
    Task<PromotionResult> PromoteAsync(RoomPolicy room, int limit, CancellationToken cancellationToken);

    /// <summary>Current numbers of the room, for readiness, metrics and tests.</summary>
    Task<RoomCounts> GetCountsAsync(RoomPolicy room, CancellationToken cancellationToken);

    /// <summary>
    /// Returns the cookie signing secret shared by every instance: <paramref name="candidate"/>
    /// when none existed yet (it is stored), else the one stored first.
    /// </summary>
    Task<string> GetOrCreateSecretAsync(string candidate, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="StoreUnavailableException"/> when the store cannot be reached.</summary>
    Task PingAsync(CancellationToken cancellationToken);
}
