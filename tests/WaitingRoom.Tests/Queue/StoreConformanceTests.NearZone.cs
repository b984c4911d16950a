using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>
/// The near zone (RoomPolicy.NearZone) for both stores: waiters beyond the near mark are answered by the
/// instances and never reach the store, so the store never drops them; as the head comes near, each is
/// stamped once as seen and judged from then on. The snapshot every instance answers from.
/// </summary>
public abstract partial class StoreConformanceTests
{
    private static readonly TimeSpan s_silentLimit = s_queueTtl + s_generation + TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Snapshot_ShortLine_HeadLengthAndEveryWaiterNear()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        var orders = new List<long>();
        for (var i = 1; i <= 3; i++)
        {
            orders.Add((await store.AdmitAsync(room, Visitor(i), null, default)).Order);
        }

        // Act
        var snapshot = await store.GetQueueSnapshotAsync(room, default);
        var status = await store.GetStatusAsync(room, Visitor(2), default);

        // Assert: tickets from 1, each newcomer near at once in a line shorter than the zone.
        Assert.Equal([1L, 2L, 3L], orders);
        Assert.Equal(new QueueSnapshot(3, 1, 0, 3), snapshot);
        Assert.Equal(2, status.Order);
        Assert.False(snapshot.IsFar(3));
        Assert.True(snapshot.IsFar(4));
    }

    [Fact]
    public async Task Snapshot_EmptyLine_HeadIsTheNextTicket()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);
        await store.ResetQueueAsync(room, default);

        var snapshot = await store.GetQueueSnapshotAsync(room, default);

        Assert.Equal(new QueueSnapshot(0, 3, 0, 0), snapshot);
    }

    [Fact]
    public async Task Snapshot_DrawsAhead_CountedAheadOfTheTickets()
    {
        // Arrange: two shuffled draws of a pre-queue, then two tickets.
        var store = CreateStore();
        var shuffled = Room(1) with { ShuffleArrivals = true };
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        var draws = new[] { await store.AdmitAsync(shuffled, Visitor(1), null, default), await store.AdmitAsync(shuffled, Visitor(2), null, default) };
        await store.AdmitAsync(room, Visitor(3), null, default);
        var last = await store.AdmitAsync(room, Visitor(4), null, default);

        // Act
        var snapshot = await store.GetQueueSnapshotAsync(room, default);

        // Assert: the bound of a ticket's place counts the draws; draws are never far (their orders are below 1).
        Assert.All(draws, d => Assert.True(d.Order < 1));
        Assert.Equal(4, snapshot.QueueLength);
        Assert.Equal(2, snapshot.GeneralAhead);
        Assert.Equal(last.Position, snapshot.PositionBound(last.Order));
    }

    [Fact]
    public async Task Promote_FarWaitersNeverPoll_KeptUntilNearThenDroppedInTurn()
    {
        // Arrange: a zone of two, five waiters who never poll after joining.
        var store = CreateStore();
        var room = Room(1) with { NearZone = 2, ActiveTtl = TimeSpan.FromDays(1) };
        await store.AdmitAsync(room, Visitor(0), null, default);
        for (var i = 1; i <= 5; i++)
        {
            await store.AdmitAsync(room, Visitor(i), null, default);
        }

        // Act: three silent spells of a TTL and a generation, a promotion round after each.
        var queued = new List<long>();
        var marks = new List<long>();
        for (var spell = 0; spell < 3; spell++)
        {
            Clock.Advance(s_silentLimit);
            await store.PromoteAsync(room, 100, default);
            queued.Add((await store.GetCountsAsync(room, default)).Queued);
            marks.Add((await store.GetQueueSnapshotAsync(room, default)).NearMark);
        }

        // Assert: the two near ones go first; each round stamps the next two, who go a spell later.
        Assert.Equal([3L, 1L, 0L], queued);
        Assert.Equal([4L, 5L, 5L], marks);
    }

    [Fact]
    public async Task Status_WaiterPollsOnlyOnceNear_NeverDroppedAndTheFarOneKeepsItsPlace()
    {
        // Arrange: a zone of one. Waiter 1 leaves; waiter 2 polls only from the moment it is stamped near
        // (as it would once its instance sees the mark); waiter 3 is far and never reaches the store.
        var store = CreateStore();
        var room = Room(1) with { NearZone = 1, ActiveTtl = TimeSpan.FromDays(1) };
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);
        await store.AdmitAsync(room, Visitor(3), null, default);

        // Act
        var statuses = new List<AdmissionResult>();
        long abandoned = 0;
        for (var i = 0; i < 12; i++)
        {
            Clock.Advance(s_queueTtl - TimeSpan.FromSeconds(1));
            abandoned += (await store.PromoteAsync(room, 100, default)).Abandoned;
            if ((await store.GetQueueSnapshotAsync(room, default)).NearMark >= 2)
            {
                statuses.Add(await store.GetStatusAsync(room, Visitor(2), default));
            }
        }

        var far = await store.GetStatusAsync(room, Visitor(3), default);

        // Assert
        Assert.Equal(1, abandoned);
        Assert.InRange(statuses.Count, 8, 11);
        Assert.All(statuses, s => Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 2), s));
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), far);
    }

    [Fact]
    public async Task Promote_RandomMode_JudgesEveryWaiter()
    {
        // Arrange: far waiters of a FIFO line, then the room draws at random: every place counts, so the silent go.
        var store = CreateStore();
        var fifo = Room(1) with { NearZone = 1, ActiveTtl = TimeSpan.FromDays(1) };
        var random = fifo with { Mode = QueueMode.Random };
        await store.AdmitAsync(fifo, Visitor(0), null, default);
        for (var i = 1; i <= 4; i++)
        {
            await store.AdmitAsync(fifo, Visitor(i), null, default);
        }

        // Act
        await store.PromoteAsync(random, 100, default);
        Clock.Advance(s_silentLimit);
        var round = await store.PromoteAsync(random, 100, default);

        // Assert
        Assert.Equal(4, round.Abandoned);
        Assert.Equal(0, (await store.GetCountsAsync(random, default)).Queued);
    }
}
