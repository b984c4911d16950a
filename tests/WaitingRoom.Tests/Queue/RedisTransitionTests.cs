using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>The webhooks' record across instances whose clocks differ: only Redis is shared by several instances.</summary>
public sealed class RedisTransitionTests
{
    [Fact]
    public async Task RecordTransition_InstanceWithAnOlderObservation_DoesNotUndoTheChange()
    {
        var prefix = RedisServer.NewPrefix();
        var ahead = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20000));
        var behind = new FakeTimeProvider(ahead.GetUtcNow() - TimeSpan.FromSeconds(2));
        var first = new RedisWaitingRoomStore(RedisServer.Shared.Connection, ahead, prefix, RedisServer.PatientAvailability());
        var second = new RedisWaitingRoomStore(RedisServer.Shared.Connection, behind, prefix, RedisServer.PatientAvailability());
        var room = new RoomPolicy("default", 1, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20));
        await first.RecordTransitionAsync(room, "capacity", "10", default);
        ahead.Advance(TimeSpan.FromSeconds(1));
        await first.RecordTransitionAsync(room, "capacity", "20", default);

        var stale = await second.RecordTransitionAsync(room, "capacity", "10", default);
        behind.Advance(TimeSpan.FromSeconds(10));
        var later = await second.RecordTransitionAsync(room, "capacity", "10", default);

        Assert.Equal(new StateTransition(false, "20"), stale);
        Assert.Equal(new StateTransition(true, "20"), later);
    }
}
