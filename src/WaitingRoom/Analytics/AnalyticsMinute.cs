namespace WaitingRoom.Analytics;

/// <summary>
/// A room's analytics for one clock minute (UTC), as one instance counted them (a delta to add) or as
/// the store holds them (the sum over every instance). The figures:
/// <list type="bullet">
/// <item><see cref="Arrivals"/>: visitors who came to the room and were not in it: admitted straight away or
/// given a new place in line (a visitor whose place had lapsed arrives again; one pushed back by queue-all does not).</item>
/// <item><see cref="Admitted"/>: visitors let in: admitted straight away (a free slot with nobody ahead, or the head
/// of the line taking a free slot by its own request) plus waiters released by a promotion round.</item>
/// <item><see cref="Abandoned"/>: waiters dropped because they stopped polling for WR_QUEUE_TTL.</item>
/// <item><see cref="ReleasedByOrigin"/>: sessions the origin ended at once with <c>WR-Command: release</c>.</item>
/// <item><see cref="TimeInQueue"/>: per bucket (<see cref="DurationBuckets"/>), waiters let go from the line this minute,
/// by the time from taking their place to being released (or admitted) at its head.</item>
/// <item><see cref="TimeOnSite"/>: per bucket, sessions that ended this minute (idle past WR_ACTIVE_TTL, past WR_SESSION_MAX,
/// or released by the origin), by the time from admission to the last request.</item>
/// <item><see cref="Queued"/>, <see cref="Active"/>, <see cref="Capacity"/>: the highest queue length, active count and capacity
/// in force sampled during the minute (every WR_RELEASE_INTERVAL, by every instance: the maximum merges in any order).</item>
/// </list>
/// </summary>
public sealed class AnalyticsMinute(long minute)
{
    /// <summary>The minute: Unix time in minutes (its start is <c>Minute × 60 s</c>).</summary>
    public long Minute { get; } = minute;

    public long Arrivals { get; set; }

    public long Admitted { get; set; }

    public long Abandoned { get; set; }

    public long ReleasedByOrigin { get; set; }

    public long Queued { get; set; }

    public long Active { get; set; }

    public long Capacity { get; set; }

    // The histograms are made on first use: most stored minutes (a quiet room's) have none, and the
    // in-memory store keeps 43,200 minutes a room.
    private long[]? _timeInQueue;
    private long[]? _timeOnSite;

    /// <summary>Counts per <see cref="DurationBuckets"/> bucket (<see cref="DurationBuckets.Count"/> long).</summary>
    public long[] TimeInQueue => _timeInQueue ??= new long[DurationBuckets.Count];

    /// <summary>Counts per <see cref="DurationBuckets"/> bucket.</summary>
    public long[] TimeOnSite => _timeOnSite ??= new long[DurationBuckets.Count];

    /// <summary>The start of the minute.</summary>
    public DateTimeOffset Start => DateTimeOffset.FromUnixTimeMilliseconds(Minute * 60_000);

    /// <summary>True when the minute holds no count and no sample.</summary>
    public bool IsEmpty =>
        Arrivals == 0 && Admitted == 0 && Abandoned == 0 && ReleasedByOrigin == 0 && Queued == 0 && Active == 0 && Capacity == 0
        && (_timeInQueue is null || !_timeInQueue.Any(c => c != 0)) && (_timeOnSite is null || !_timeOnSite.Any(c => c != 0));

    /// <summary>Adds <paramref name="other"/>'s counts and takes the higher samples: how instances' minutes merge.</summary>
    public void Add(AnalyticsMinute other)
    {
        Arrivals += other.Arrivals;
        Admitted += other.Admitted;
        Abandoned += other.Abandoned;
        ReleasedByOrigin += other.ReleasedByOrigin;
        Queued = Math.Max(Queued, other.Queued);
        Active = Math.Max(Active, other.Active);
        Capacity = Math.Max(Capacity, other.Capacity);
        AddHistogram(ref _timeInQueue, other._timeInQueue);
        AddHistogram(ref _timeOnSite, other._timeOnSite);
    }

    private static void AddHistogram(ref long[]? mine, long[]? theirs)
    {
        if (theirs is null || !theirs.Any(c => c != 0))
        {
            return;
        }

        mine ??= new long[DurationBuckets.Count];
        for (var i = 0; i < DurationBuckets.Count; i++)
        {
            mine[i] += theirs[i];
        }
    }

    /// <summary>A copy (the store hands out copies, never its own).</summary>
    public AnalyticsMinute Clone()
    {
        var copy = new AnalyticsMinute(Minute);
        copy.Add(this);
        return copy;
    }
}
