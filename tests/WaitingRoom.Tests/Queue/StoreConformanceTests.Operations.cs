using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>What the operator's tools rely on: admission totals, the queue reset and the shared documents.</summary>
public abstract partial class StoreConformanceTests
{
    /// <summary>The counts without the admitted total, for tests about who occupies the room.</summary>
    private static RoomCounts Occupancy(RoomCounts counts) => counts with { AdmittedTotal = 0 };

    [Fact]
    public async Task Admit_NewSlotTakenStraightAway_IsFlaggedAndCountedOnce()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(2);

        // Act
        var first = await store.AdmitAsync(room, Visitor(0), null, default);
        var refresh = await store.AdmitAsync(room, Visitor(0), null, default);
        var second = await store.AdmitAsync(room, Visitor(1), null, default);
        var queued = await store.AdmitAsync(room, Visitor(2), null, default);
        var counts = await store.GetCountsAsync(room, default);

        // Assert
        Assert.True(first.Admitted);
        Assert.False(refresh.Admitted);
        Assert.True(second.Admitted);
        Assert.False(queued.Admitted);
        Assert.Equal(2, counts.AdmittedTotal);
    }

    [Fact]
    public async Task Admit_PromotedVisitorArrives_IsNotCountedAsAdmittedStraightAway()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.ReleaseAsync(room, Visitor(0), default);
        await store.PromoteAsync(room, 10, default);

        // Act
        var arrival = await store.AdmitAsync(room, Visitor(1), null, default);
        var counts = await store.GetCountsAsync(room, default);

        // Assert
        Assert.Equal(VisitorState.Active, arrival.State);
        Assert.False(arrival.Admitted);
        Assert.Equal(1, counts.AdmittedTotal);
        Assert.Equal(1, counts.PromotedTotal);
    }

    [Fact]
    public async Task Admit_Passthrough_CountsOnlyVisitorsNotActiveBefore()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(1) with { Mode = QueueMode.Passthrough };

        // Act
        var first = await store.AdmitAsync(room, Visitor(0), null, default);
        var again = await store.AdmitAsync(room, Visitor(0), null, default);
        var other = await store.AdmitAsync(room, Visitor(1), null, default);

        // Assert
        Assert.True(first.Admitted);
        Assert.False(again.Admitted);
        Assert.True(other.Admitted);
        Assert.Equal(2, (await store.GetCountsAsync(room, default)).AdmittedTotal);
    }

    [Fact]
    public async Task ResetQueue_WaitersAndActives_EmptiesOnlyTheQueueAndNewcomersStartAtOne()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(1);
        for (var i = 0; i < 5; i++)
        {
            await store.AdmitAsync(room, Visitor(i), null, default);
        }

        // Act
        var removed = await store.ResetQueueAsync(room, default);
        var counts = await store.GetCountsAsync(room, default);
        var formerWaiter = await store.GetStatusAsync(room, Visitor(3), default);
        var active = await store.AdmitAsync(room, Visitor(0), null, default);
        var newcomer = await store.AdmitAsync(room, Visitor(9), null, default);

        // Assert
        Assert.Equal(4, removed);
        Assert.Equal(0, counts.Queued);
        Assert.Equal(1, counts.Active);
        Assert.Equal(VisitorState.Unknown, formerWaiter.State);
        Assert.Equal(VisitorState.Active, active.State);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 1), newcomer);
    }

    [Fact]
    public async Task ResetQueue_EmptyRoom_RemovesNothing()
    {
        // Arrange
        var store = CreateStore();

        // Act
        var removed = await store.ResetQueueAsync(Room(1), default);

        // Assert
        Assert.Equal(0, removed);
    }

    [Fact]
    public async Task Admit_DrainingRoomWithNoCapacity_KeepsActivesAndQueuesNewcomers()
    {
        // Arrange: draining is capacity 0 in the policy; actives already in must not be thrown out.
        var store = CreateStore();
        var open = Room(2);
        await store.AdmitAsync(open, Visitor(0), null, default);
        var draining = Room(0);

        // Act
        var active = await store.AdmitAsync(draining, Visitor(0), null, default);
        var newcomer = await store.AdmitAsync(draining, Visitor(1), null, default);
        var round = await store.PromoteAsync(draining, 10, default);

        // Assert
        Assert.Equal(VisitorState.Active, active.State);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 1), newcomer);
        Assert.Equal(0, round.Promoted);
    }

    [Fact]
    public async Task TrySetDocument_ExpectedTextMatches_StoresAndOtherwiseRefuses()
    {
        // Arrange
        var store = CreateStore();
        var name = RoomKeys.SettingsDocument("default");

        // Act
        var missing = await store.GetDocumentAsync(name, default);
        var created = await store.TrySetDocumentAsync(name, null, "{\"maxActive\":5}", default);
        var stale = await store.TrySetDocumentAsync(name, null, "{\"maxActive\":6}", default);
        var updated = await store.TrySetDocumentAsync(name, "{\"maxActive\":5}", "{\"maxActive\":7}", default);
        var stored = await store.GetDocumentAsync(name, default);
        var other = await store.GetDocumentAsync(RoomKeys.BackendsDocument, default);

        // Assert
        Assert.Null(missing);
        Assert.True(created);
        Assert.False(stale);
        Assert.True(updated);
        Assert.Equal("{\"maxActive\":7}", stored);
        Assert.Null(other);
    }

    [Fact]
    public async Task TrySetDocument_ConcurrentWritersFromTheSameVersion_ExactlyOneWins()
    {
        // Arrange
        var store = CreateStore();
        await store.TrySetDocumentAsync(RoomKeys.BackendsDocument, null, "v0", default);

        // Act
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => store.TrySetDocumentAsync(RoomKeys.BackendsDocument, "v0", $"v{i + 1}", default))));

        // Assert
        Assert.Single(results, won => won);
    }
}
