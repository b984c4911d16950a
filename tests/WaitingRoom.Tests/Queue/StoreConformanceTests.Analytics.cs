using WaitingRoom.Analytics;
using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>Analytics kept in the store: per-minute batches that add up across instances, count once, and expire after 30 days; the facts the scripts report.</summary>
public abstract partial class StoreConformanceTests
{
    private long CurrentMinute => Clock.GetUtcNow().ToUnixTimeMilliseconds() / 60_000;

    private static AnalyticsMinute Minute(long minute, long arrivals, long admitted, long queued, long capacity)
    {
        var result = new AnalyticsMinute(minute) { Arrivals = arrivals, Admitted = admitted, Abandoned = 1, ReleasedByOrigin = 2, Queued = queued, Active = 3, Capacity = capacity };
        result.TimeInQueue[DurationBuckets.IndexOf(30_000)] = admitted;
        result.TimeOnSite[DurationBuckets.IndexOf(120_000)] = 1;
        return result;
    }

    [Fact]
    public async Task AddAnalytics_TwoInstancesInOneMinute_CountsAddUpAndSamplesKeepTheHighest()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(5);
        var minute = CurrentMinute;

        // Act
        Assert.True(await store.AddAnalyticsAsync(room, new AnalyticsBatch("a", 1, [Minute(minute, 10, 4, 7, 5)]), default));
        Assert.True(await store.AddAnalyticsAsync(room, new AnalyticsBatch("b", 1, [Minute(minute, 5, 2, 9, 4), Minute(minute - 1, 1, 1, 1, 5)]), default));
        var stored = await store.GetAnalyticsAsync(room, minute - 10, minute + 1, default);

        // Assert
        Assert.Equal([minute - 1, minute], stored.Select(m => m.Minute));
        var last = stored[1];
        Assert.Equal((15, 6, 2, 4), (last.Arrivals, last.Admitted, last.Abandoned, last.ReleasedByOrigin));
        Assert.Equal((9, 3, 5), (last.Queued, last.Active, last.Capacity));
        Assert.Equal(6, last.TimeInQueue[DurationBuckets.IndexOf(30_000)]);
        Assert.Equal(2, last.TimeOnSite[DurationBuckets.IndexOf(120_000)]);
        Assert.Empty(await store.GetAnalyticsAsync(Room(5) with { Name = "other" }, minute - 10, minute + 1, default));
    }

    [Fact]
    public async Task AddAnalytics_SameBatchSentAgain_CountsOnceAndTheNextOneCounts()
    {
        // Arrange: a flush whose answer was lost is sent again unchanged.
        var store = CreateStore();
        var room = Room(5);
        var minute = CurrentMinute;
        var batch = new AnalyticsBatch("a", 1, [Minute(minute, 10, 4, 7, 5)]);

        // Act
        var first = await store.AddAnalyticsAsync(room, batch, default);
        var again = await store.AddAnalyticsAsync(room, batch, default);
        var older = await store.AddAnalyticsAsync(room, batch with { Sequence = 0 }, default);
        var next = await store.AddAnalyticsAsync(room, new AnalyticsBatch("a", 2, [Minute(minute, 1, 1, 0, 0)]), default);
        var stored = Assert.Single(await store.GetAnalyticsAsync(room, minute, minute + 1, default));

        // Assert
        Assert.Equal((true, false, false, true), (first, again, older, next));
        Assert.Equal(11, stored.Arrivals);
        Assert.Equal(5, stored.Admitted);
    }

    [Fact]
    public async Task AddAnalytics_MinutePastTheRetention_IsNotStored()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(5);
        var now = CurrentMinute;
        var retained = (long)AnalyticsBatch.Retention.TotalMinutes;

        // Act: one minute that ended just over 30 days ago, one that ended just under.
        await store.AddAnalyticsAsync(room, new AnalyticsBatch("a", 1, [Minute(now - retained - 1, 1, 1, 1, 1), Minute(now - retained + 1, 2, 2, 2, 2)]), default);
        var stored = await store.GetAnalyticsAsync(room, now - retained - 5, now + 1, default);

        // Assert
        Assert.Equal([now - retained + 1], stored.Select(m => m.Minute));
    }

    [Fact]
    public async Task GetAnalytics_MergedHistogramsOfTwoInstances_PercentilesWithinABucketOfTheTruth()
    {
        // Arrange: 1,000 waits of 1 s to 1,000 s, split between two instances by odd and even.
        var store = CreateStore();
        var room = Room(5);
        var minute = CurrentMinute;
        var odd = new AnalyticsMinute(minute);
        var even = new AnalyticsMinute(minute);
        var waits = Enumerable.Range(1, 1000).Select(s => s * 1000L).ToList();
        foreach (var wait in waits)
        {
            (wait / 1000 % 2 == 1 ? odd : even).TimeInQueue[DurationBuckets.IndexOf(wait)]++;
        }

        // Act
        await store.AddAnalyticsAsync(room, new AnalyticsBatch("a", 1, [odd]), default);
        await store.AddAnalyticsAsync(room, new AnalyticsBatch("b", 1, [even]), default);
        var merged = Assert.Single(await store.GetAnalyticsAsync(room, minute, minute + 1, default));

        // Assert: each percentile lies in, or within one bucket's width of, the bucket of the true value.
        foreach (var (q, truth) in new[] { (0.5, 500.0), (0.9, 900.0), (0.99, 990.0) })
        {
            var estimate = DurationBuckets.Quantile(merged.TimeInQueue, q);
            var bucket = DurationBuckets.IndexOf((long)(truth * 1000));
            var width = DurationBuckets.UpperSeconds(bucket) - DurationBuckets.LowerSeconds(bucket);
            Assert.InRange(estimate, truth - width, truth + width);
        }
    }

    [Fact]
    public async Task Admit_NewcomerQueuedAndHeadAdmittedLater_ReportJoinedAndTimeInQueue()
    {
        // Arrange: one slot taken, two waiters; a promotion round right after they join (as every
        // WR_RELEASE_INTERVAL) notes when their tickets were taken.
        var store = CreateStore();
        var room = Room(1);
        var active = await store.AdmitAsync(room, Visitor(0), null, default);
        var joined = await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);
        await store.PromoteAsync(room, 10, default);

        // Act: 40 s of waiting, then the origin frees the slot and the head takes it by its own request.
        await PassTimeAsync(store, room, TimeSpan.FromSeconds(40), [1, 2]);
        var polled = await store.AdmitAsync(room, Visitor(1), null, default);
        await store.ReleaseAsync(room, Visitor(0), default);
        var head = await store.AdmitAsync(room, Visitor(1), null, default);

        // Assert
        Assert.True(active.Admitted);
        Assert.Null(active.WaitedMilliseconds);
        Assert.False(active.Joined);
        Assert.True(joined.Joined);
        Assert.False(polled.Joined);
        Assert.True(head.Admitted);
        Assert.Equal(40_000, head.WaitedMilliseconds);
    }

    [Fact]
    public async Task Promote_WaitersReleasedAndSessionsEnded_ReportTimeInQueueAndOnSite()
    {
        // Arrange: visitor 0 is active for 20 s (two requests), visitors 1 and 2 wait.
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        Clock.Advance(TimeSpan.FromSeconds(10));
        await store.AdmitAsync(room, Visitor(2), null, default);
        var sampling = await store.PromoteAsync(room, 10, default);
        Clock.Advance(TimeSpan.FromSeconds(10));
        await store.AdmitAsync(room, Visitor(0), null, default);

        // Act: visitor 0 goes idle past the TTL while the others keep polling; the round expires it and releases visitor 1.
        await PassTimeAsync(store, room, s_activeTtl + TimeSpan.FromSeconds(1), [1, 2]);
        var round = await store.PromoteAsync(room, 10, default);

        // Assert: visitor 1 joined 10 s before the first round saw its ticket (the Redis clock's
        // resolution, one round); the in-memory store knows its join time exactly.
        Assert.Empty(sampling.Waits);
        Assert.Equal(1, round.Promoted);
        var wait = Assert.Single(round.Waits);
        Assert.InRange(wait, 71_000, 81_000);
        Assert.Equal([20_000L], round.Sessions);
    }
}
