using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>
/// The rules every <see cref="IWaitingRoomStore"/> must follow, run against the Redis store (real
/// redis-server) and the in-memory store alike, so the two cannot drift.
/// </summary>
public abstract partial class StoreConformanceTests
{
    private static readonly TimeSpan s_activeTtl = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_queueTtl = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_window = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How much later than WR_QUEUE_TTL a waiter that stopped polling may still be dropped: one
    /// generation of polls (Redis); the in-memory store drops it at the TTL itself.
    /// </summary>
    private static readonly TimeSpan s_generation = TimeSpan.FromMilliseconds(QueueScores.GenerationWidth(s_queueTtl));

    protected FakeTimeProvider Clock { get; } = new();

    private protected abstract IWaitingRoomStore CreateStore();

    private static RoomPolicy Room(int maxActive) => new("default", maxActive, s_activeTtl, s_queueTtl, s_window);

    private static string Visitor(int n) => $"visitor-{n:D4}";

    /// <summary>Lets time pass in steps shorter than the queue TTL while the given waiters keep polling.</summary>
    private async Task PassTimeAsync(IWaitingRoomStore store, RoomPolicy room, TimeSpan span, IEnumerable<int> pollers)
    {
        var step = TimeSpan.FromSeconds(10);
        var list = pollers.ToList();
        for (var passed = TimeSpan.Zero; passed < span; passed += step)
        {
            Clock.Advance(span - passed < step ? span - passed : step);
            foreach (var visitor in list)
            {
                await store.GetStatusAsync(room, Visitor(visitor), default);
            }
        }
    }

    [Fact]
    public async Task Admit_RoomWithFreeCapacity_AdmitsUntilFullThenQueues()
    {
        var store = CreateStore();
        var room = Room(3);

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
    public async Task Admit_QueuedVisitorComesBack_KeepsItsPlace()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);

        var again = await store.AdmitAsync(room, Visitor(2), null, default);
        var first = await store.AdmitAsync(room, Visitor(1), null, default);

        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), again);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 2), first);
    }

    [Fact]
    public async Task Admit_SlotFreesWhileOthersWait_NewcomerQueuesBehindThem()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);

        await PassTimeAsync(store, room, s_activeTtl + TimeSpan.FromSeconds(1), [1]);
        var newcomer = await store.AdmitAsync(room, Visitor(2), null, default);

        Assert.Equal(VisitorState.Queued, newcomer.State);
        Assert.Equal(2, newcomer.Position);
    }

    [Fact]
    public async Task Admit_HeadOfQueueWithFreeCapacity_IsAdmitted()
    {
        var store = CreateStore();
        var room = Room(2);
        for (var i = 0; i < 4; i++)
        {
            await store.AdmitAsync(room, Visitor(i), null, default);
        }

        // The origin frees one slot; before any promotion round, visitor 2 is at the head with a slot free.
        var freed = await store.ReleaseAsync(room, Visitor(0), default);
        var newcomer = await store.AdmitAsync(room, Visitor(4), null, default);
        var head = await store.AdmitAsync(room, Visitor(2), null, default);

        Assert.True(freed);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 3, 3), newcomer);
        Assert.Equal(VisitorState.Active, head.State);
        Assert.Equal(new RoomCounts(2, 0, 2, 0), Occupancy(await store.GetCountsAsync(room, default)));
    }

    [Fact]
    public async Task Admit_ActiveVisitorWithinTtl_StaysActiveAndIsRefreshed()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);

        for (var i = 0; i < 3; i++)
        {
            Clock.Advance(s_activeTtl - TimeSpan.FromSeconds(1));
            Assert.Equal(VisitorState.Active, (await store.AdmitAsync(room, Visitor(0), null, default)).State);
        }

        var promotion = await store.PromoteAsync(room, 100, default);
        Assert.Equal(0, promotion.ExpiredActive);
    }

    [Fact]
    public async Task Admit_ActiveVisitorIdleBeyondTtlWhileOthersWait_QueuesAtTheBack()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await PassTimeAsync(store, room, s_activeTtl + TimeSpan.FromSeconds(1), [1]);

        var returning = await store.AdmitAsync(room, Visitor(0), null, default);

        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), returning);
    }

    [Fact]
    public async Task Promote_SlotsFree_ReleasesStrictlyByPosition()
    {
        var store = CreateStore();
        var room = Room(3);
        for (var i = 0; i < 13; i++)
        {
            await store.AdmitAsync(room, Visitor(i), null, default);
        }

        var order = new List<string>();
        for (var round = 0; round < 4; round++)
        {
            // The three active (or released) visitors leave; everyone queued keeps polling.
            await PassTimeAsync(store, room, s_activeTtl + TimeSpan.FromSeconds(1), Enumerable.Range(0, 13));
            var result = await store.PromoteAsync(room, 100, default);
            Assert.Equal(Math.Min(3, 10 - (round * 3)), result.Promoted);
            for (var i = 0; i < 13; i++)
            {
                if ((await store.GetStatusAsync(room, Visitor(i), default)).State == VisitorState.Released)
                {
                    order.Add(Visitor(i));
                }
            }
        }

        Assert.Equal(Enumerable.Range(3, 10).Select(Visitor), order.Distinct());
    }

    [Fact]
    public async Task Promote_ReleasedVisitorArrivesInWindow_BecomesActive()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await PassTimeAsync(store, room, s_activeTtl + TimeSpan.FromSeconds(1), [1]);
        await store.PromoteAsync(room, 100, default);
        Assert.Equal(VisitorState.Released, (await store.GetStatusAsync(room, Visitor(1), default)).State);

        Clock.Advance(s_window - TimeSpan.FromSeconds(1));
        var arrival = await store.AdmitAsync(room, Visitor(1), null, default);

        Assert.Equal(VisitorState.Active, arrival.State);
        Assert.Equal(new RoomCounts(1, 0, 0, 1), Occupancy(await store.GetCountsAsync(room, default)));
    }

    [Fact]
    public async Task Promote_ReleasedVisitorNeverArrives_SlotFreesAfterAdmissionWindow()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);
        await PassTimeAsync(store, room, s_activeTtl + TimeSpan.FromSeconds(1), [1, 2]);
        await store.PromoteAsync(room, 100, default);

        Clock.Advance(s_window - TimeSpan.FromSeconds(1));
        await store.GetStatusAsync(room, Visitor(2), default);
        var inWindow = await store.PromoteAsync(room, 100, default);
        Clock.Advance(TimeSpan.FromSeconds(2));
        await store.GetStatusAsync(room, Visitor(2), default);
        var afterWindow = await store.PromoteAsync(room, 100, default);

        Assert.Equal(0, inWindow.Promoted);
        Assert.Equal(1, afterWindow.ExpiredReleased);
        Assert.Equal(1, afterWindow.Promoted);
        Assert.Equal(VisitorState.Released, (await store.GetStatusAsync(room, Visitor(2), default)).State);
        Assert.Equal(VisitorState.Queued, (await store.AdmitAsync(room, Visitor(1), null, default)).State);
    }

    [Fact]
    public async Task Promote_WaiterStopsPolling_LosesPlaceAfterQueueTtl()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);
        await store.AdmitAsync(room, Visitor(3), null, default);

        // Visitors 1 and 3 keep polling; visitor 2 stops.
        for (var i = 0; i < 4; i++)
        {
            Clock.Advance(s_queueTtl / 2);
            await store.GetStatusAsync(room, Visitor(1), default);
            await store.GetStatusAsync(room, Visitor(3), default);
            await store.AdmitAsync(room, Visitor(0), null, default);
        }

        var result = await store.PromoteAsync(room, 100, default);

        Assert.Equal(1, result.Abandoned);
        Assert.Equal(VisitorState.Unknown, (await store.GetStatusAsync(room, Visitor(2), default)).State);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 2), await store.GetStatusAsync(room, Visitor(1), default));
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), await store.GetStatusAsync(room, Visitor(3), default));
    }

    [Fact]
    public async Task Admit_WaiterBackAfterQueueTtlAndAGeneration_StartsAgainAtTheBack()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);
        Clock.Advance(s_queueTtl - TimeSpan.FromSeconds(1));
        await store.GetStatusAsync(room, Visitor(2), default);
        await store.AdmitAsync(room, Visitor(0), null, default);
        Clock.Advance(s_generation + TimeSpan.FromSeconds(2));

        var back = await store.AdmitAsync(room, Visitor(1), null, default);

        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), back);
    }

    [Fact]
    public async Task Status_UnknownVisitor_IsUnknownAndNotQueued()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);

        var status = await store.GetStatusAsync(room, Visitor(9), default);

        Assert.Equal(VisitorState.Unknown, status.State);
        Assert.Equal(new RoomCounts(1, 0, 0, 0), Occupancy(await store.GetCountsAsync(room, default)));
    }

    [Fact]
    public async Task Status_WhileOthersLeave_PositionNeverIncreases()
    {
        var store = CreateStore();
        var room = Room(2);
        for (var i = 0; i < 12; i++)
        {
            await store.AdmitAsync(room, Visitor(i), null, default);
        }

        var last = long.MaxValue;
        var positions = new List<long>();
        for (var round = 0; round < 8; round++)
        {
            var status = await store.GetStatusAsync(room, Visitor(11), default);
            positions.Add(status.Position);
            if (status.State != VisitorState.Queued)
            {
                break;
            }

            Assert.True(status.Position <= last, $"position went from {last} to {status.Position}");
            last = status.Position;
            await store.AdmitAsync(room, Visitor(100 + round), null, default);
            await PassTimeAsync(store, room, s_activeTtl + TimeSpan.FromSeconds(1), Enumerable.Range(2, 10));

            await store.PromoteAsync(room, 100, default);
        }

        Assert.Contains(10, positions);
        Assert.True(positions[^1] < 10);
    }

    [Fact]
    public async Task Admit_ManyConcurrentNewcomers_ExactlyCapacityActiveAndUniquePositions()
    {
        var store = CreateStore();
        var room = Room(10);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => store.AdmitAsync(room, Visitor(i), null, default))));

        Assert.Equal(10, results.Count(r => r.State == VisitorState.Active));
        Assert.Equal(Enumerable.Range(1, 190).Select(p => (long)p), results.Where(r => r.State == VisitorState.Queued).Select(r => r.Position).Order());
        Assert.Equal(new RoomCounts(10, 0, 190, 0), Occupancy(await store.GetCountsAsync(room, default)));
    }

    [Fact]
    public async Task Promote_ManyConcurrentRounds_NeverExceedsCapacity()
    {
        var store = CreateStore();
        var room = Room(5);
        for (var i = 0; i < 50; i++)
        {
            await store.AdmitAsync(room, Visitor(i), null, default);
        }

        await PassTimeAsync(store, room, s_activeTtl + TimeSpan.FromSeconds(1), Enumerable.Range(5, 45));

        var rounds = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => store.PromoteAsync(room, 100, default))));
        var counts = await store.GetCountsAsync(room, default);

        Assert.Equal(5, rounds.Sum(r => r.Promoted));
        Assert.Equal(5, rounds.Sum(r => r.ExpiredActive));
        Assert.Equal(new RoomCounts(0, 5, 40, 5), Occupancy(counts));
    }

    [Fact]
    public async Task Promote_MoreToDoThanTheLimit_ReportsHasMore()
    {
        var store = CreateStore();
        var room = Room(10);
        for (var i = 0; i < 25; i++)
        {
            await store.AdmitAsync(room, Visitor(i), null, default);
        }

        await PassTimeAsync(store, room, s_activeTtl + TimeSpan.FromSeconds(1), Enumerable.Range(10, 15));

        // A round may also have old poll records to sweep (Redis): it says so, and the caller goes on until it is done.
        var rounds = new List<PromotionResult>();
        do
        {
            rounds.Add(await store.PromoteAsync(room, 4, default));
        }
        while (rounds[^1].HasMore && rounds.Count < 10);

        Assert.Equal((4, true), (rounds[0].Promoted, rounds[0].HasMore));
        Assert.Equal((4, true), (rounds[1].Promoted, rounds[1].HasMore));
        Assert.Equal(2, rounds[2].Promoted);
        Assert.All(rounds.Skip(3), r => Assert.Equal(0, r.Promoted));
        Assert.False(rounds[^1].HasMore);
        Assert.Equal(10, rounds[^1].PromotedTotal);
    }

    [Fact]
    public async Task GetOrCreateSecret_SecondCandidate_GetsTheFirst()
    {
        var store = CreateStore();

        var first = await store.GetOrCreateSecretAsync("first-secret-value", default);
        var second = await store.GetOrCreateSecretAsync("second-secret-value", default);

        Assert.Equal("first-secret-value", first);
        Assert.Equal("first-secret-value", second);
    }
}

public sealed class InMemoryStoreConformanceTests : StoreConformanceTests
{
    private protected override IWaitingRoomStore CreateStore() => new InMemoryWaitingRoomStore(Clock);
}

public sealed class RedisStoreConformanceTests : StoreConformanceTests
{
    private protected override IWaitingRoomStore CreateStore() =>
        new RedisWaitingRoomStore(RedisServer.Shared.Connection, Clock, RedisServer.NewPrefix(), RedisServer.PatientAvailability());
}
