using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>
/// WR_QUEUE_TTL for both stores: a waiter that polls within the TTL keeps its place, however its
/// polls fall; one that stops polling is still queued at the TTL and gone one generation later
/// (the window Redis keeps to store a waiter's last poll in a few bits); the promotion drops
/// exactly the waiters that stopped, in batches.
/// </summary>
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Promote_WaiterStopsPolling_QueuedAtQueueTtlGoneAGenerationLater()
    {
        // Arrange: one active, a waiter that never polls again and one that keeps polling.
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);

        // Act
        await PassTimeAsync(store, room, s_queueTtl, [2]);
        var atTtl = await store.PromoteAsync(room, 100, default);
        var countsAtTtl = await store.GetCountsAsync(room, default);
        await PassTimeAsync(store, room, s_generation + TimeSpan.FromSeconds(1), [2]);
        var later = await store.PromoteAsync(room, 100, default);

        // Assert
        Assert.Equal(0, atTtl.Abandoned);
        Assert.Equal(2, countsAtTtl.Queued);
        Assert.Equal(1, later.Abandoned);
        Assert.Equal(VisitorState.Unknown, (await store.GetStatusAsync(room, Visitor(1), default)).State);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 1), await store.GetStatusAsync(room, Visitor(2), default));
    }

    [Fact]
    public async Task Status_WaiterPollsJustWithinQueueTtl_NeverLosesItsPlace()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(1) with { ActiveTtl = TimeSpan.FromHours(1) };
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);

        // Act: polls a second inside the TTL, so they fall at every point of the generations in turn.
        var statuses = new List<AdmissionResult>();
        long abandoned = 0;
        for (var i = 0; i < 12; i++)
        {
            Clock.Advance(s_queueTtl - TimeSpan.FromSeconds(1));
            abandoned += (await store.PromoteAsync(room, 100, default)).Abandoned;
            statuses.Add(await store.GetStatusAsync(room, Visitor(1), default));
            statuses.Add(await store.GetStatusAsync(room, Visitor(2), default));
        }

        // Assert
        Assert.Equal(0, abandoned);
        Assert.All(statuses.Where((_, i) => i % 2 == 0), s => Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 2), s));
        Assert.All(statuses.Where((_, i) => i % 2 == 1), s => Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), s));
    }

    [Fact]
    public async Task Status_QueueTtlChangesWhileWaiting_WaiterWhoPollsWithinTheShorterKeepsItsPlace()
    {
        // Arrange: the room's TTL changes back and forth (run-time settings, or two instances configured
        // differently during a deployment), so the stores see policies with different generation widths.
        var store = CreateStore();
        var shortTtl = Room(1) with { ActiveTtl = TimeSpan.FromHours(1) };
        var longTtl = shortTtl with { QueueTtl = TimeSpan.FromMinutes(10) };
        await store.AdmitAsync(shortTtl, Visitor(0), null, default);
        await store.AdmitAsync(longTtl, Visitor(1), null, default);
        await store.AdmitAsync(shortTtl, Visitor(2), null, default);

        // Act
        long abandoned = 0;
        var states = new List<VisitorState>();
        for (var i = 0; i < 20; i++)
        {
            var (poll, promote) = (i % 3) switch { 0 => (longTtl, shortTtl), 1 => (shortTtl, longTtl), _ => (longTtl, longTtl) };
            Clock.Advance(s_queueTtl - TimeSpan.FromSeconds(1 + (i % 5)));
            abandoned += (await store.PromoteAsync(promote, 100, default)).Abandoned;
            states.Add((await store.GetStatusAsync(poll, Visitor(1), default)).State);
            states.Add((await store.AdmitAsync(poll, Visitor(2), null, default)).State);
        }

        // Assert
        Assert.Equal(0, abandoned);
        Assert.All(states, s => Assert.Equal(VisitorState.Queued, s));
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 2), await store.GetStatusAsync(shortTtl, Visitor(1), default));
    }

    [Fact]
    public async Task Promote_SomeWaitersStopPolling_DropsExactlyThemInBatches()
    {
        // Arrange: 60 waiters; every third never polls, every third after that polls once, the rest keep polling.
        var store = CreateStore();
        var room = Room(1) with { ActiveTtl = TimeSpan.FromHours(1) };
        await store.AdmitAsync(room, Visitor(0), null, default);
        var waiters = Enumerable.Range(1, 60).ToList();
        foreach (var visitor in waiters)
        {
            await store.AdmitAsync(room, Visitor(visitor), null, default);
        }

        var quitters = waiters.Where(v => v % 3 != 0).Where((_, i) => i % 2 == 0).ToHashSet();
        var oncePollers = waiters.Where(v => v % 3 != 0).Where((_, i) => i % 2 == 1).ToList();
        var pollers = waiters.Where(v => v % 3 == 0).ToList();
        Clock.Advance(TimeSpan.FromSeconds(10));
        foreach (var visitor in oncePollers.Concat(pollers))
        {
            await store.GetStatusAsync(room, Visitor(visitor), default);
        }

        // Act: past TTL and a generation after the once-pollers' poll, a promotion in batches of 7.
        await PassTimeAsync(store, room, s_queueTtl + s_generation + TimeSpan.FromSeconds(1), pollers);
        var rounds = new List<PromotionResult>();
        do
        {
            rounds.Add(await store.PromoteAsync(room, 7, default));
        }
        while (rounds[^1].HasMore && rounds.Count < 100);

        // Assert: exactly the 40 who stopped are gone; the 20 who poll are queued in their order.
        Assert.Equal(40, rounds.Sum(r => r.Abandoned));
        Assert.All(rounds, r => Assert.InRange(r.Abandoned, 0, 7));
        Assert.False(rounds[^1].HasMore);
        Assert.Equal(20, (await store.GetCountsAsync(room, default)).Queued);
        foreach (var visitor in quitters.Concat(oncePollers))
        {
            Assert.Equal(VisitorState.Unknown, (await store.GetStatusAsync(room, Visitor(visitor), default)).State);
        }

        for (var i = 0; i < pollers.Count; i++)
        {
            Assert.Equal(new AdmissionResult(VisitorState.Queued, i + 1, 20), await store.GetStatusAsync(room, Visitor(pollers[i]), default));
        }
    }
}
