using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>
/// The adaptive capacity, for both stores: an adaptive room admits and promotes against the stored
/// capacity (its lower bound before any is stored, nobody new while it holds), a lower capacity
/// never removes anyone, and a change is a compare-and-set on the version with a minimum gap.
/// </summary>
public abstract partial class StoreConformanceTests
{
    /// <summary>An adaptive room between <paramref name="min"/> and <paramref name="max"/>.</summary>
    private static RoomPolicy Adaptive(int min, int max) => Room(max) with { Adaptive = true, MinActive = min };

    private static CapacityChange To(int capacity, bool hold = false, long? expected = null, TimeSpan gap = default) =>
        new(expected, capacity, hold, null, "test", gap);

    [Fact]
    public async Task Admit_AdaptiveRoomWithoutStoredCapacity_AdmitsItsLowerBound()
    {
        var store = CreateStore();
        var room = Adaptive(2, 10);

        var states = new List<VisitorState>();
        for (var i = 0; i < 4; i++)
        {
            states.Add((await store.AdmitAsync(room, Visitor(i), null, default)).State);
        }

        Assert.Equal([VisitorState.Active, VisitorState.Active, VisitorState.Queued, VisitorState.Queued], states);
        Assert.Equal(CapacityState.Initial(room), await store.GetCapacityAsync(room, default));
    }

    [Fact]
    public async Task Admit_AdaptiveRoomWithStoredCapacity_AdmitsExactlyThatMany()
    {
        var store = CreateStore();
        var room = Adaptive(1, 10);
        var stored = await store.TrySetCapacityAsync(room, To(3), default);

        var states = new List<VisitorState>();
        for (var i = 0; i < 5; i++)
        {
            states.Add((await store.AdmitAsync(room, Visitor(i), null, default)).State);
        }

        Assert.NotNull(stored);
        Assert.Equal(3, stored.Capacity);
        Assert.Equal(1, stored.Version);
        Assert.Equal(3, states.Count(s => s == VisitorState.Active));
        Assert.Equal(3, (await store.GetCountsAsync(room, default)).Active);
    }

    [Fact]
    public async Task Admit_FixedRoom_IgnoresAStoredCapacity()
    {
        var store = CreateStore();
        var adaptive = Adaptive(1, 4);
        await store.TrySetCapacityAsync(adaptive, To(1), default);
        var fixedRoom = Room(4);

        for (var i = 0; i < 4; i++)
        {
            await store.AdmitAsync(fixedRoom, Visitor(i), null, default);
        }

        Assert.Equal(4, (await store.GetCountsAsync(fixedRoom, default)).Active);
    }

    [Fact]
    public async Task SetCapacity_BelowVisitorsIn_NobodyIsDroppedAndNewcomersWaitUntilEnoughLeave()
    {
        var store = CreateStore();
        var room = Adaptive(1, 10);
        await store.TrySetCapacityAsync(room, To(5), default);
        for (var i = 0; i < 5; i++)
        {
            await store.AdmitAsync(room, Visitor(i), null, default);
        }

        await store.TrySetCapacityAsync(room, To(2), default);
        var stillIn = new List<VisitorState>();
        for (var i = 0; i < 5; i++)
        {
            stillIn.Add((await store.AdmitAsync(room, Visitor(i), null, default)).State);
        }

        var newcomer = await store.AdmitAsync(room, Visitor(10), null, default);
        var roundOver = await store.PromoteAsync(room, 100, default);
        for (var i = 0; i < 4; i++)
        {
            await store.ReleaseAsync(room, Visitor(i), default);
        }

        var roundUnder = await store.PromoteAsync(room, 100, default);

        Assert.All(stillIn, s => Assert.Equal(VisitorState.Active, s));
        Assert.Equal(VisitorState.Queued, newcomer.State);
        Assert.Equal(0, roundOver.Promoted);
        Assert.Equal(1, roundUnder.Promoted);
        Assert.Equal(new RoomCounts(1, 1, 0, 1), Occupancy(await store.GetCountsAsync(room, default)));
    }

    [Fact]
    public async Task Hold_AdmitsAndPromotesNobodyNewAndKeepsEveryoneInAndInLine()
    {
        var store = CreateStore();
        var room = Adaptive(1, 10);
        await store.TrySetCapacityAsync(room, To(2), default);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);

        var held = await store.TrySetCapacityAsync(room, To(4, hold: true), default);
        var holder = await store.AdmitAsync(room, Visitor(0), null, default);
        var waiter = await store.AdmitAsync(room, Visitor(2), null, default);
        var newcomer = await store.AdmitAsync(room, Visitor(3), null, default);
        var round = await store.PromoteAsync(room, 100, default);
        await store.TrySetCapacityAsync(room, To(4), default);
        var resumed = await store.PromoteAsync(room, 100, default);

        Assert.Equal(0, held!.Effective);
        Assert.Equal(VisitorState.Active, holder.State);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 1), waiter);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), newcomer);
        Assert.Equal(0, round.Promoted);
        Assert.Equal(2, resumed.Promoted);
    }

    [Fact]
    public async Task SetCapacity_VersionMoved_IsRefusedAndTheStoredOneStays()
    {
        var store = CreateStore();
        var room = Adaptive(1, 10);
        var first = await store.TrySetCapacityAsync(room, To(5, expected: 0), default);

        var stale = await store.TrySetCapacityAsync(room, To(8, expected: 0), default);
        var current = await store.TrySetCapacityAsync(room, To(6, expected: first!.Version), default);

        Assert.Null(stale);
        Assert.NotNull(current);
        Assert.Equal(2, current.Version);
        var read = await store.GetCapacityAsync(room, default);
        Assert.Equal((6, 2L, "test"), (read.Capacity, read.Version, read.Reason));
        Assert.Equal(Clock.GetUtcNow().ToUnixTimeMilliseconds(), read.ChangedAt!.Value.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task SetCapacity_WithinTheMinimumGap_IsRefusedUntilTheGapHasPassed()
    {
        var store = CreateStore();
        var room = Adaptive(1, 10);
        var gap = TimeSpan.FromSeconds(1);
        await store.TrySetCapacityAsync(room, To(5), default);

        Clock.Advance(TimeSpan.FromMilliseconds(999));
        var early = await store.TrySetCapacityAsync(room, To(6, gap: gap), default);
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        var onTime = await store.TrySetCapacityAsync(room, To(6, gap: gap), default);

        Assert.Null(early);
        Assert.Equal(6, onTime!.Capacity);
    }

    [Fact]
    public async Task SetCapacity_OutsideTheBounds_IsStoredWithinThemAndReadWithinTheBoundsInForce()
    {
        var store = CreateStore();
        var room = Adaptive(3, 10);

        var high = await store.TrySetCapacityAsync(room, To(50), default);
        var low = await store.TrySetCapacityAsync(room, To(1), default);
        await store.TrySetCapacityAsync(room, To(9), default);
        var narrowed = await store.GetCapacityAsync(room with { MaxActive = 6 }, default);

        Assert.Equal(10, high!.Capacity);
        Assert.Equal(3, low!.Capacity);
        Assert.Equal(6, narrowed.Capacity);
    }

    [Fact]
    public async Task SetCapacity_Pinned_IsReadBackWithWhoPinnedIt()
    {
        var store = CreateStore();
        var room = Adaptive(1, 10);

        await store.TrySetCapacityAsync(room, new CapacityChange(null, 7, false, "origin", "origin"), default);
        var read = await store.GetCapacityAsync(room, default);

        Assert.Equal((7, false, "origin", "origin", 1L), (read.Capacity, read.Hold, read.PinnedBy, read.Reason, read.Version));
    }

    [Fact]
    public async Task Admit_ConcurrentNewcomersUnderAStoredCapacity_NeverMoreThanIt()
    {
        var store = CreateStore();
        var room = Adaptive(1, 100);
        await store.TrySetCapacityAsync(room, To(7), default);

        var results = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(() => store.AdmitAsync(room, Visitor(i), null, default))));

        Assert.Equal(7, results.Count(r => r.State == VisitorState.Active));
        Assert.Equal(7, (await store.GetCountsAsync(room, default)).Active);
    }

    [Fact]
    public async Task CapacityChanges_EveryStoredChange_IsListedNewestFirstWithFromToReasonWhoAndSignal()
    {
        // Arrange
        var store = CreateStore();
        var room = Adaptive(2, 10);
        var first = Clock.GetUtcNow();

        // Act: a step up with its signal, a refused one, a hold, an origin's pin.
        await store.TrySetCapacityAsync(room, To(4) with { P95 = 0.2031, ErrorShare = 0 }, default);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var refused = await store.TrySetCapacityAsync(room, To(9, expected: 0), default);
        await store.TrySetCapacityAsync(room, new CapacityChange(1, 4, true, null, "hold") { P95 = null, ErrorShare = 1 }, default);
        Clock.Advance(TimeSpan.FromSeconds(1));
        await store.TrySetCapacityAsync(room, new CapacityChange(null, 7, false, "origin", "origin") { By = "origin" }, default);
        var changes = await store.GetCapacityChangesAsync(room, default);
        var otherRoom = await store.GetCapacityChangesAsync(room with { Name = "other" }, default);

        // Assert
        Assert.Null(refused);
        Assert.Equal(
            [
                new CapacityChangeRecord(first.AddSeconds(2), 0, 7, "origin", "origin", null, null),
                new CapacityChangeRecord(first.AddSeconds(1), 4, 0, "hold", "controller", null, 1),
                new CapacityChangeRecord(first, 2, 4, "test", "controller", 0.2031, 0),
            ],
            changes.Select(c => c with { At = DateTimeOffset.FromUnixTimeMilliseconds(c.At.ToUnixTimeMilliseconds()) }));
        Assert.Equal(first.ToUnixTimeMilliseconds(), changes[^1].At.ToUnixTimeMilliseconds());
        Assert.Empty(otherRoom);
    }

    [Fact]
    public async Task CapacityChanges_ManyChanges_KeepsOnlyTheLastOnesBounded()
    {
        // Arrange
        var store = CreateStore();
        var room = Adaptive(1, 100);

        // Act: more changes than the list keeps.
        for (var i = 1; i <= CapacityChangeRecord.Kept + 15; i++)
        {
            await store.TrySetCapacityAsync(room, To(i + 1), default);
        }

        var changes = await store.GetCapacityChangesAsync(room, default);

        // Assert: the newest Kept, each from the one before.
        Assert.Equal(CapacityChangeRecord.Kept, changes.Count);
        Assert.Equal(CapacityChangeRecord.Kept + 16, changes[0].To);
        Assert.All(changes.Zip(changes.Skip(1)), pair => Assert.Equal(pair.Second.To, pair.First.From));
    }

    [Fact]
    public async Task ShareWindow_TwoInstances_EachGetsTheOthersLatestOnly()
    {
        var store = CreateStore();
        var room = Adaptive(1, 10);
        var age = TimeSpan.FromSeconds(1.5);

        var first = await store.ShareWindowAsync(room, "a", "a-1", age, default);
        var b = await store.ShareWindowAsync(room, "b", "b-1", age, default);
        await store.ShareWindowAsync(room, "a", "a-2", age, default);
        var b2 = await store.ShareWindowAsync(room, "b", "b-2", age, default);

        Assert.Empty(first);
        Assert.Equal(["a-1"], b);
        Assert.Equal(["a-2"], b2);
    }

    [Fact]
    public async Task ShareWindow_AnInstanceThatStoppedSharing_IsLeftOutOnceItsWindowIsOlderThanTheMaximumAge()
    {
        var store = CreateStore();
        var room = Adaptive(1, 10);
        var age = TimeSpan.FromSeconds(1.5);
        await store.ShareWindowAsync(room, "gone", "gone-1", age, default);

        Clock.Advance(TimeSpan.FromSeconds(1));
        var fresh = await store.ShareWindowAsync(room, "b", "b-1", age, default);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var stale = await store.ShareWindowAsync(room, "b", "b-2", age, default);

        Assert.Equal(["gone-1"], fresh);
        Assert.Empty(stale);
    }

    [Fact]
    public async Task ShareWindow_OtherRoom_IsSeparate()
    {
        var store = CreateStore();
        var age = TimeSpan.FromSeconds(1.5);
        await store.ShareWindowAsync(Adaptive(1, 10), "a", "a-1", age, default);

        var other = await store.ShareWindowAsync(Adaptive(1, 10) with { Name = "other" }, "b", "b-1", age, default);

        Assert.Empty(other);
    }
}
