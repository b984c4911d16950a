using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>
/// The webhooks' shared record of a room's subjects (<see cref="IWaitingRoomStore.RecordTransitionAsync"/>):
/// one change reported once, whichever instances see it, and never undone by an older observation.
/// </summary>
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task RecordTransition_FirstThenSameThenNew_ChangedOnlyForANewState()
    {
        var store = CreateStore();
        var room = Room(1);

        var first = await store.RecordTransitionAsync(room, "queue", "empty", default);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var same = await store.RecordTransitionAsync(room, "queue", "empty", default);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var changed = await store.RecordTransitionAsync(room, "queue", "waiting", default);

        Assert.Equal(new StateTransition(true, null), first);
        Assert.Equal(new StateTransition(false, "empty"), same);
        Assert.Equal(new StateTransition(true, "empty"), changed);
    }

    [Fact]
    public async Task RecordTransition_ManyInstancesSeeTheSameChange_ExactlyOneReportsIt()
    {
        var store = CreateStore();
        var room = Room(1);
        await store.RecordTransitionAsync(room, "phase", "normal", default);
        Clock.Advance(TimeSpan.FromSeconds(1));

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => store.RecordTransitionAsync(room, "phase", "event", default))));

        var reporter = Assert.Single(results, r => r.Changed);
        Assert.Equal("normal", reporter.Previous);
    }

    [Fact]
    public async Task RecordTransition_SubjectsAndRooms_AreRecordedApart()
    {
        var store = CreateStore();
        await store.RecordTransitionAsync(Room(1), "queue", "empty", default);
        Clock.Advance(TimeSpan.FromSeconds(1));

        var otherSubject = await store.RecordTransitionAsync(Room(1), "phase", "empty", default);
        var otherRoom = await store.RecordTransitionAsync(Room(1) with { Name = "sale" }, "queue", "waiting", default);

        Assert.Equal(new StateTransition(true, null), otherSubject);
        Assert.Equal(new StateTransition(true, null), otherRoom);
    }
}
