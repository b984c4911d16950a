using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>
/// The queue-size cap (WR_MAX_QUEUE) of the shared conformance suite: a newcomer past the cap gets
/// no place; waiters keep theirs; concurrent arrivals never take the queue past the cap.
/// </summary>
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Admit_QueueAtCap_NewcomerFullWithoutAPlace()
    {
        var store = CreateStore();
        var room = Room(1) with { MaxQueue = 2 };
        for (var i = 0; i < 3; i++)
        {
            await store.AdmitAsync(room, Visitor(i), null, default);
        }

        var newcomer = await store.AdmitAsync(room, Visitor(3), null, default);
        var second = await store.AdmitAsync(room, Visitor(2), null, default);
        var firstPoll = await store.GetStatusAsync(room, Visitor(1), default);

        Assert.Equal(new AdmissionResult(VisitorState.Full, 0, 2), newcomer);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), second);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 2), firstPoll);
        Assert.Equal(VisitorState.Unknown, (await store.GetStatusAsync(room, Visitor(3), default)).State);
        Assert.Equal(new RoomCounts(1, 0, 2, 0), Occupancy(await store.GetCountsAsync(room, default)));
    }

    [Fact]
    public async Task Admit_PlaceFreesUnderCap_NextNewcomerQueuesAndWaitersMoveUp()
    {
        var store = CreateStore();
        var room = Room(1) with { MaxQueue = 2 };
        for (var i = 0; i < 4; i++)
        {
            await store.AdmitAsync(room, Visitor(i), null, default);
        }

        await store.ReleaseAsync(room, Visitor(0), default);
        await store.PromoteAsync(room, 100, default);
        var moved = await store.GetStatusAsync(room, Visitor(2), default);
        var newcomer = await store.AdmitAsync(room, Visitor(4), null, default);
        var full = await store.AdmitAsync(room, Visitor(5), null, default);

        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 1), moved);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), newcomer);
        Assert.Equal(VisitorState.Full, full.State);
    }

    [Fact]
    public async Task Admit_NoCap_QueueGrowsPastAnyNumber()
    {
        var store = CreateStore();
        var room = Room(1) with { MaxQueue = 0 };

        AdmissionResult last = default;
        for (var i = 0; i < 50; i++)
        {
            last = await store.AdmitAsync(room, Visitor(i), null, default);
        }

        Assert.Equal(new AdmissionResult(VisitorState.Queued, 49, 49), last);
    }

    [Fact]
    public async Task Admit_ManyNewcomersAtOnce_QueueHoldsExactlyTheCap()
    {
        var store = CreateStore();
        var room = Room(5) with { MaxQueue = 20 };

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => store.AdmitAsync(room, Visitor(i), null, default))));

        Assert.Equal(5, results.Count(r => r.State == VisitorState.Active));
        Assert.Equal(Enumerable.Range(1, 20).Select(p => (long)p), results.Where(r => r.State == VisitorState.Queued).Select(r => r.Position).Order());
        Assert.Equal(175, results.Count(r => r.State == VisitorState.Full));
        Assert.Equal(new RoomCounts(5, 0, 20, 0), Occupancy(await store.GetCountsAsync(room, default)));
    }

    [Fact]
    public async Task Admit_FullNewcomer_DoesNotUseUpItsClientsNewcomerCap()
    {
        var store = CreateStore();
        var room = Room(1) with { MaxQueue = 1, MaxNewPerClientPerMinute = 1 };
        await store.AdmitAsync(room, Visitor(0), "192.0.2.1", default);
        await store.AdmitAsync(room, Visitor(1), "192.0.2.2", default);

        var full = await store.AdmitAsync(room, Visitor(2), "192.0.2.3", default);
        await store.ReleaseAsync(room, Visitor(0), default);
        await store.PromoteAsync(room, 100, default);
        var later = await store.AdmitAsync(room, Visitor(3), "192.0.2.3", default);

        Assert.Equal(VisitorState.Full, full.State);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 1), later);
    }

    [Fact]
    public async Task Admit_QueueAllPushesBackAnActiveVisitorAtCap_KeepsItInLine()
    {
        var store = CreateStore();
        var room = Room(1) with { MaxQueue = 1 };
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);

        // Queue-all (an event's pre-queue) sends the visitor already in back to the line: it held a place, so the cap does not turn it away.
        var pushedBack = await store.AdmitAsync(room with { Mode = QueueMode.QueueAll }, Visitor(0), null, default);

        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 2), pushedBack);
    }
}
