namespace WaitingRoom.Queue;

/// <summary>What one promotion round did.</summary>
/// <param name="ExpiredActive">Active visitors whose idle time passed the active TTL.</param>
/// <param name="ExpiredReleased">Released visitors who did not arrive within the admission window.</param>
/// <param name="Abandoned">Queued visitors dropped because they stopped polling.</param>
/// <param name="Promoted">Visitors released from the head of the queue in this round.</param>
/// <param name="PromotedTotal">Visitors ever released in this room (shared by all instances).</param>
/// <param name="HasMore">The round hit its limit: more work is waiting now.</param>
public readonly record struct PromotionResult(long ExpiredActive, long ExpiredReleased, long Abandoned, long Promoted, long PromotedTotal, bool HasMore)
{
    /// <summary>Analytics: the time in queue (ms) of each waiter released in this round whose join time the store knows.</summary>
    public IReadOnlyList<long> Waits { get; init; } = [];

    /// <summary>Analytics: the time on site (ms, admission to last request) of each session that ended in this round.</summary>
    public IReadOnlyList<long> Sessions { get; init; } = [];
}
