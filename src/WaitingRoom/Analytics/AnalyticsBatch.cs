namespace WaitingRoom.Analytics;

/// <summary>
/// One flush of an instance's counts for one room. <paramref name="Sequence"/> grows by one per batch
/// of that instance; the store applies a batch once and answers a repeat (a retry after a failure
/// whose outcome was unknown) without applying it again, so counts are neither lost nor doubled.
/// </summary>
/// <param name="Instance">The instance, unique per process.</param>
/// <param name="Sequence">1, 2, … per instance and room; a batch is sent again unchanged until the store answers.</param>
/// <param name="Minutes">The deltas, one per minute.</param>
public sealed record AnalyticsBatch(string Instance, long Sequence, IReadOnlyList<AnalyticsMinute> Minutes)
{
    /// <summary>How long the store keeps a room's minutes: 30 days after each minute ends.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    /// <summary>Minutes per batch at most, so one store call stays small after a long outage.</summary>
    public const int MaxMinutes = 60;
}
