using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>The admission's start in every active answer: what tells one admission from the next (the WR-Admission jti).</summary>
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Admit_ActiveAnswers_CarryTheAdmissionsStart_NewForTheNextAdmission()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(1);
        var start = Clock.GetUtcNow().ToUnixTimeMilliseconds();

        // Act: admitted, back 5 s later, ended by the origin, admitted again 1 s after that; then a
        // waiter promoted into the slot the origin frees next, arriving 2 s later.
        var first = await store.AdmitAsync(room, Visitor(0), null, default);
        Clock.Advance(TimeSpan.FromSeconds(5));
        var again = await store.AdmitAsync(room, Visitor(0), null, default);
        await store.ReleaseAsync(room, Visitor(0), default);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var next = await store.AdmitAsync(room, Visitor(0), null, default);
        var waiting = await store.AdmitAsync(room, Visitor(1), null, default);
        await store.ReleaseAsync(room, Visitor(0), default);
        await store.PromoteAsync(room, 10, default);
        Clock.Advance(TimeSpan.FromSeconds(2));
        var arrived = await store.AdmitAsync(room, Visitor(1), null, default);

        // Assert: the same admission keeps its start, the next has its own; a waiter has none, and a
        // promoted waiter's admission starts when it arrives.
        Assert.Equal(start, first.AdmittedAt);
        Assert.Equal(start, again.AdmittedAt);
        Assert.Equal(VisitorState.Active, next.State);
        Assert.Equal(start + 6000, next.AdmittedAt);
        Assert.Equal(VisitorState.Queued, waiting.State);
        Assert.Equal(0, waiting.AdmittedAt);
        Assert.Equal(VisitorState.Active, arrived.State);
        Assert.Equal(start + 8000, arrived.AdmittedAt);
    }
}
