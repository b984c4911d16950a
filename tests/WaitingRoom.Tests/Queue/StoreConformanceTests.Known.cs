using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>The "known visitors only" admission behind WR_POW, for both stores: a newcomer takes nothing.</summary>
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task AdmitKnown_Newcomer_IsUnknownAndTakesNothing()
    {
        var store = CreateStore();
        var room = Room(1);

        var intoFree = await store.AdmitKnownAsync(room, Visitor(7), default);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        var intoFull = await store.AdmitKnownAsync(room, Visitor(8), default);
        var counts = await store.GetCountsAsync(room, default);

        Assert.Equal(new AdmissionResult(VisitorState.Unknown, 0, 0), intoFree);
        Assert.Equal(new AdmissionResult(VisitorState.Unknown, 0, 1), intoFull);
        Assert.Equal((1, 0, 1, 1), (counts.Active, counts.Released, counts.Queued, counts.AdmittedTotal));
        Assert.Equal(VisitorState.Unknown, (await store.GetStatusAsync(room, Visitor(8), default)).State);
    }

    [Fact]
    public async Task AdmitKnown_VisitorsTheRoomHolds_AreDecidedAsByAdmit()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);

        var active = await store.AdmitKnownAsync(room, Visitor(0), default);
        var waiter = await store.AdmitKnownAsync(room, Visitor(2), default);
        await store.ReleaseAsync(room, Visitor(0), default);
        await store.PromoteAsync(room, 100, default);
        var released = await store.AdmitKnownAsync(room, Visitor(1), default);

        Assert.Equal(VisitorState.Active, active.State);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), waiter);
        Assert.Equal(VisitorState.Active, released.State);
        Assert.Equal(1, (await store.GetCountsAsync(room, default)).Active);
    }

    [Fact]
    public async Task AdmitKnown_ActiveVisitorPastItsTtl_IsANewcomerAgain()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);

        Clock.Advance(s_activeTtl + TimeSpan.FromSeconds(1));
        var again = await store.AdmitKnownAsync(room, Visitor(0), default);

        Assert.Equal(VisitorState.Unknown, again.State);
        Assert.Equal(0, (await store.GetCountsAsync(room, default)).Active);
    }
}
