using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>The batched last-seen refresh behind the admission cache, for both stores.</summary>
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Touch_ActiveVisitor_RefreshesLastSeenSoItOutlivesItsOldTtl()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);

        Clock.Advance(s_activeTtl - TimeSpan.FromSeconds(5));
        var gone = await store.TouchAsync(room, [Visitor(0)], default);
        Clock.Advance(TimeSpan.FromSeconds(10));
        var round = await store.PromoteAsync(room, 100, default);

        Assert.Empty(gone);
        Assert.Equal(0, round.ExpiredActive);
        Assert.Equal(VisitorState.Active, (await store.GetStatusAsync(room, Visitor(0), default)).State);
        Assert.Equal(1, (await store.GetCountsAsync(room, default)).Active);
    }

    [Fact]
    public async Task Touch_VisitorsNoLongerActive_AreReturnedAndNeverMadeActive()
    {
        var store = CreateStore();
        var room = Room(2);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);
        await store.ReleaseAsync(room, Visitor(1), default);

        var gone = await store.TouchAsync(room, [Visitor(0), Visitor(1), Visitor(2), Visitor(9)], default);
        var counts = await store.GetCountsAsync(room, default);

        Assert.Equal([Visitor(1), Visitor(2), Visitor(9)], gone.Order(StringComparer.Ordinal));
        Assert.Equal(1, counts.Active);
        Assert.Equal(1, counts.Queued);
        Assert.Equal(VisitorState.Queued, (await store.GetStatusAsync(room, Visitor(2), default)).State);
    }

    [Fact]
    public async Task Touch_IdlePastTtlOrSessionPastItsCap_IsReturnedNotRevived()
    {
        var store = CreateStore();
        var idleRoom = Room(5);
        var cappedRoom = Room(5) with { Name = "capped", SessionMax = TimeSpan.FromSeconds(30) };
        await store.AdmitAsync(idleRoom, Visitor(0), null, default);
        await store.AdmitAsync(cappedRoom, Visitor(1), null, default);

        Clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Empty(await store.TouchAsync(cappedRoom, [Visitor(1)], default));
        Clock.Advance(TimeSpan.FromSeconds(20));
        var capped = await store.TouchAsync(cappedRoom, [Visitor(1)], default);
        Clock.Advance(s_activeTtl);
        var idle = await store.TouchAsync(idleRoom, [Visitor(0)], default);

        Assert.Equal([Visitor(1)], capped);
        Assert.Equal([Visitor(0)], idle);
        Assert.Equal(VisitorState.Unknown, (await store.GetStatusAsync(idleRoom, Visitor(0), default)).State);
    }
}
