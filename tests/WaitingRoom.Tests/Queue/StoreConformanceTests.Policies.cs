using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>
/// The room policies of the shared conformance suite: queue modes, the admission rate, the session
/// cap, origin release and the per-client newcomer cap, for both stores alike.
/// </summary>
public abstract partial class StoreConformanceTests
{
    private static RoomPolicy Room(int maxActive, QueueMode mode) =>
        Room(maxActive) with { Mode = mode };

    [Fact]
    public async Task Admit_RateCapReached_NewcomerQueuedDespiteFreeCapacity()
    {
        var store = CreateStore();
        var room = Room(100) with { NewUsersPerMinute = 3 };

        var results = new List<AdmissionResult>();
        for (var i = 0; i < 5; i++)
        {
            results.Add(await store.AdmitAsync(room, Visitor(i), null, default));
        }

        Assert.All(results.Take(3), r => Assert.Equal(VisitorState.Active, r.State));
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 1), results[3]);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), results[4]);
    }

    [Fact]
    public async Task Promote_RateCap_ReleasesOnlyWhatTheRollingMinuteAllows()
    {
        var store = CreateStore();
        var room = Room(100) with { NewUsersPerMinute = 3 };
        for (var i = 0; i < 8; i++)
        {
            await store.AdmitAsync(room, Visitor(i), null, default);
        }

        var sameMinute = await store.PromoteAsync(room, 100, default);
        await PassTimeAsync(store, room, TimeSpan.FromSeconds(61), Enumerable.Range(3, 5));
        var nextMinute = await store.PromoteAsync(room, 100, default);
        var again = await store.PromoteAsync(room, 100, default);

        Assert.Equal(0, sameMinute.Promoted);
        Assert.Equal(3, nextMinute.Promoted);
        Assert.Equal(0, again.Promoted);
        Assert.Equal(new RoomCounts(0, 3, 2, 3), Occupancy(await store.GetCountsAsync(room, default)));
    }

    [Fact]
    public async Task Admit_Passthrough_CountsEveryoneAsActiveBeyondCapacity()
    {
        var store = CreateStore();
        var room = Room(1, QueueMode.Passthrough);

        var results = new List<AdmissionResult>();
        for (var i = 0; i < 5; i++)
        {
            results.Add(await store.AdmitAsync(room, Visitor(i), null, default));
        }

        Assert.All(results, r => Assert.Equal(VisitorState.Active, r.State));
        Assert.Equal(new RoomCounts(5, 0, 0, 0), Occupancy(await store.GetCountsAsync(room, default)));
    }

    [Fact]
    public async Task Admit_SwitchedToPassthrough_WaiterGetsInAtOnce()
    {
        var store = CreateStore();
        await store.AdmitAsync(Room(1), Visitor(0), null, default);
        await store.AdmitAsync(Room(1), Visitor(1), null, default);

        var waiter = await store.AdmitAsync(Room(1, QueueMode.Passthrough), Visitor(1), null, default);

        Assert.Equal(VisitorState.Active, waiter.State);
        Assert.Equal(new RoomCounts(2, 0, 0, 0), Occupancy(await store.GetCountsAsync(Room(1), default)));
    }

    [Fact]
    public async Task Admit_QueueAll_EveryoneWaitsAndTheActiveGoesFirstWhenItOpens()
    {
        var store = CreateStore();
        var open = Room(5);
        var closed = Room(5, QueueMode.QueueAll);
        await store.AdmitAsync(open, Visitor(0), null, default);
        await store.AdmitAsync(closed, Visitor(1), null, default);

        var wasActive = await store.AdmitAsync(closed, Visitor(0), null, default);
        var newcomer = await store.AdmitAsync(closed, Visitor(1), null, default);
        var closedRound = await store.PromoteAsync(closed, 100, default);
        var openRound = await store.PromoteAsync(open, 1, default);

        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 2), wasActive);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), newcomer);
        Assert.Equal(0, closedRound.Promoted);
        Assert.Equal(1, openRound.Promoted);
        Assert.Equal(VisitorState.Released, (await store.GetStatusAsync(open, Visitor(0), default)).State);
    }

    [Fact]
    public async Task Admit_RejectModeFullRoom_NewcomerTurnedAwayWithoutAPlace()
    {
        var store = CreateStore();
        await store.AdmitAsync(Room(1), Visitor(0), null, default);
        await store.AdmitAsync(Room(1), Visitor(1), null, default);
        var reject = Room(1, QueueMode.Reject);

        var newcomer = await store.AdmitAsync(reject, Visitor(2), null, default);
        var waiter = await store.AdmitAsync(reject, Visitor(1), null, default);

        Assert.Equal(VisitorState.Rejected, newcomer.State);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 1), waiter);
        Assert.Equal(new RoomCounts(1, 0, 1, 0), Occupancy(await store.GetCountsAsync(reject, default)));
        Assert.Equal(VisitorState.Unknown, (await store.GetStatusAsync(reject, Visitor(2), default)).State);
    }

    [Fact]
    public async Task Admit_RejectModeWithRoom_NewcomerAdmitted()
    {
        var store = CreateStore();

        var first = await store.AdmitAsync(Room(1, QueueMode.Reject), Visitor(0), null, default);

        Assert.Equal(VisitorState.Active, first.State);
    }

    /// <summary>
    /// 400 waiters arrive in order while the room is full; 100 places free at once. In a fair draw
    /// each quarter of the arrivals wins about 25 places and the winners' mean arrival index is
    /// about 200; first-come-first-served would give all 100 to the first quarter (mean 50).
    /// Bounds are ~5 standard deviations wide, so a fair draw fails about once in a million runs.
    /// </summary>
    [Fact]
    public async Task Promote_RandomMode_WinnersDoNotDependOnArrivalOrder()
    {
        var store = CreateStore();
        var full = Room(1, QueueMode.Random);
        await store.AdmitAsync(full, Visitor(9999), null, default);
        for (var i = 0; i < 400; i++)
        {
            Assert.Equal(VisitorState.Queued, (await store.AdmitAsync(full, Visitor(i), null, default)).State);
        }

        var round = await store.PromoteAsync(full with { MaxActive = 101 }, 2000, default);
        var winners = new List<int>();
        for (var i = 0; i < 400; i++)
        {
            if ((await store.GetStatusAsync(full, Visitor(i), default)).State == VisitorState.Released)
            {
                winners.Add(i);
            }
        }

        Assert.Equal(100, round.Promoted);
        Assert.Equal(100, winners.Count);
        var perQuarter = Enumerable.Range(0, 4).Select(q => winners.Count(w => w / 100 == q)).ToArray();
        var chiSquare = perQuarter.Sum(n => (n - 25.0) * (n - 25.0) / 25.0);
        Assert.True(chiSquare < 27, $"winners per arrival quarter {string.Join(", ", perQuarter)} (chi-square {chiSquare:0.0}) are not a fair draw");
        Assert.InRange(winners.Average(), 150, 250);
    }

    /// <summary>
    /// Every round is a fresh draw among everyone waiting at that moment: after a first round, the
    /// 200 who lost it and 100 newcomers face the second round alike, so about two thirds of its
    /// winners are earlier losers (a draw fixed at arrival would favour the newcomers). The bounds
    /// are about 4 standard deviations wide.
    /// </summary>
    [Fact]
    public async Task Promote_RandomModeSecondRound_EarlierLosersAndNewcomersHaveTheSameChance()
    {
        var store = CreateStore();
        var full = Room(1, QueueMode.Random);
        await store.AdmitAsync(full, Visitor(9999), null, default);
        for (var i = 0; i < 300; i++)
        {
            await store.AdmitAsync(full, Visitor(i), null, default);
        }

        var first = await store.PromoteAsync(full with { MaxActive = 101 }, 2000, default);
        for (var i = 300; i < 400; i++)
        {
            await store.AdmitAsync(full, Visitor(i), null, default);
        }

        var second = await store.PromoteAsync(full with { MaxActive = 201 }, 2000, default);
        var released = new List<int>();
        for (var i = 0; i < 400; i++)
        {
            if ((await store.GetStatusAsync(full, Visitor(i), default)).State == VisitorState.Released)
            {
                released.Add(i);
            }
        }

        Assert.Equal((100, 100), (first.Promoted, second.Promoted));
        Assert.Equal(200, released.Count);
        var earlierLosers = released.Count(i => i < 300) - 100;
        Assert.InRange(earlierLosers, 50, 83);
    }

    [Fact]
    public async Task Admit_RandomModeHeadOfLineWithAFreeSlot_WaitsForTheDraw()
    {
        var store = CreateStore();
        var room = Room(1, QueueMode.Random);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);
        await store.ReleaseAsync(room, Visitor(0), default);

        var head = await store.AdmitAsync(room, Visitor(1), null, default);

        Assert.Equal(VisitorState.Queued, head.State);
    }

    [Fact]
    public async Task Admit_ShuffledPrequeueThenTickets_DrawsStayAheadOfLaterArrivals()
    {
        var store = CreateStore();
        var prequeue = Room(5, QueueMode.QueueAll) with { ShuffleArrivals = true };
        for (var i = 0; i < 20; i++)
        {
            await store.AdmitAsync(prequeue, Visitor(i), null, default);
        }

        var open = Room(5);
        var lateComer = await store.AdmitAsync(open, Visitor(100), null, default);
        var round = await store.PromoteAsync(open, 100, default);

        Assert.Equal(new AdmissionResult(VisitorState.Queued, 21, 21), lateComer);
        Assert.Equal(5, round.Promoted);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 16, 16), await store.GetStatusAsync(open, Visitor(100), default));
    }

    [Fact]
    public async Task Admit_SessionPastItsCap_EndsAndQueuesBehindWaiters()
    {
        var store = CreateStore();
        var room = Room(1) with { SessionMax = TimeSpan.FromSeconds(30) };
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);

        Clock.Advance(TimeSpan.FromSeconds(20));
        await store.GetStatusAsync(room, Visitor(1), default);
        var within = await store.AdmitAsync(room, Visitor(0), null, default);
        Clock.Advance(TimeSpan.FromSeconds(15));
        await store.GetStatusAsync(room, Visitor(1), default);
        var status = await store.GetStatusAsync(room, Visitor(0), default);
        var after = await store.AdmitAsync(room, Visitor(0), null, default);

        Assert.Equal(VisitorState.Active, within.State);
        Assert.Equal(VisitorState.Unknown, status.State);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), after);
    }

    [Fact]
    public async Task Promote_SessionPastItsCap_FreesTheSlotForTheHead()
    {
        var store = CreateStore();
        var room = Room(1) with { SessionMax = TimeSpan.FromSeconds(30) };
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);

        await PassTimeAsync(store, room, TimeSpan.FromSeconds(31), [1]);
        var round = await store.PromoteAsync(room, 100, default);

        Assert.Equal((1, 1), (round.ExpiredActive, round.Promoted));
        Assert.Equal(VisitorState.Released, (await store.GetStatusAsync(room, Visitor(1), default)).State);
    }

    [Fact]
    public async Task Release_ActiveVisitor_FreesItsSlotAtOnce()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);

        var released = await store.ReleaseAsync(room, Visitor(0), default);
        var again = await store.ReleaseAsync(room, Visitor(0), default);
        var next = await store.AdmitAsync(room, Visitor(1), null, default);

        Assert.True(released);
        Assert.False(again);
        Assert.Equal(VisitorState.Active, next.State);
        Assert.Equal(VisitorState.Unknown, (await store.GetStatusAsync(room, Visitor(0), default)).State);
    }

    [Fact]
    public async Task Admit_ClientPastItsNewcomerCap_LimitedWithoutAnEntry()
    {
        var store = CreateStore();
        var room = Room(1) with { MaxNewPerClientPerMinute = 3 };
        for (var i = 0; i < 3; i++)
        {
            await store.AdmitAsync(room, Visitor(i), "192.0.2.1", default);
        }

        var over = await store.AdmitAsync(room, Visitor(3), "192.0.2.1", default);
        var returning = await store.AdmitAsync(room, Visitor(1), "192.0.2.1", default);
        var otherClient = await store.AdmitAsync(room, Visitor(4), "192.0.2.2", default);
        var unknownClient = await store.AdmitAsync(room, Visitor(5), null, default);

        Assert.Equal(VisitorState.Limited, over.State);
        Assert.InRange(over.RetryAfterMilliseconds, 1, 60_000);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 2), returning);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 3, 3), otherClient);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 4, 4), unknownClient);
    }

    [Fact]
    public async Task Admit_ClientCapWindowOver_ClientMayCreateEntriesAgain()
    {
        var store = CreateStore();
        var room = Room(1) with { MaxNewPerClientPerMinute = 1 };
        await store.AdmitAsync(room, Visitor(0), "192.0.2.1", default);
        var limited = await store.AdmitAsync(room, Visitor(1), "192.0.2.1", default);

        Clock.Advance(TimeSpan.FromSeconds(61));
        var later = await store.AdmitAsync(room, Visitor(2), "192.0.2.1", default);

        Assert.Equal(VisitorState.Limited, limited.State);
        Assert.NotEqual(VisitorState.Limited, later.State);
    }
}
