using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.ScaleOut;

/// <summary>
/// A room's slot moving from one cluster master to another (resharding). Every key a script
/// touches is declared, so while the slot is half-moved Redis refuses the script before it runs
/// (TRYAGAIN) instead of failing it half-way after some writes; once the slot has moved, the
/// client follows the MOVED answer and the room works on its new master.
/// </summary>
[Collection(ScaleOutSerial.Name)]
public sealed class RedisClusterSlotMoveTests
{
    private static readonly RoomPolicy s_room = new("default", 1, TimeSpan.FromDays(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20));

    [Fact]
    public async Task GetStatus_RoomSlotBeingMoved_RefusedWithoutAnyWriteThenServedByTheNewMaster()
    {
        // Arrange: a waiter whose next poll moves it into a new generation (a write of its score and of the poll log).
        using var cluster = RedisCluster.Start();
        var clock = new FakeTimeProvider();
        var prefix = RedisServer.NewPrefix();
        var store = new RedisWaitingRoomStore(cluster.Connection, clock, prefix, RedisServer.PatientAvailability());
        var keys = new RoomKeys(prefix, s_room.Name);
        await store.AdmitAsync(s_room, "holder", null, default);
        Assert.Equal(VisitorState.Queued, (await store.AdmitAsync(s_room, "waiter", null, default)).State);
        clock.Advance(TimeSpan.FromMilliseconds(QueueScores.GenerationWidth(s_room.QueueTtl)) + TimeSpan.FromSeconds(1));
        var database = cluster.Connection.GetDatabase();
        var scoreBefore = await database.SortedSetScoreAsync(keys.Queue, "waiter");

        var slot = cluster.KeySlot(s_room.Name);
        var source = cluster.MasterOf(slot);
        var target = cluster.Ports.First(p => p != source);
        var sourceId = RedisCluster.Cli(source, "cluster", "myid").Trim();
        var targetId = RedisCluster.Cli(target, "cluster", "myid").Trim();
        Assert.Equal("OK", RedisCluster.Cli(target, "cluster", "setslot", slot.ToString(System.Globalization.CultureInfo.InvariantCulture), "importing", sourceId).Trim());
        Assert.Equal("OK", RedisCluster.Cli(source, "cluster", "setslot", slot.ToString(System.Globalization.CultureInfo.InvariantCulture), "migrating", targetId).Trim());
        Assert.Equal("OK", Migrate(source, target, keys.PollLog));

        // Act: the poll while the room's keys are split between the two masters.
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.GetStatusAsync(s_room, "waiter", default));

        // Assert: nothing was written on the source.
        Assert.Equal(scoreBefore, await database.SortedSetScoreAsync(keys.Queue, "waiter"));

        // Act: the rest of the slot moves, and the slot is given to the target.
        var slotText = slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var key in RedisCluster.Cli(source, "cluster", "getkeysinslot", slotText, "1000").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Assert.Equal("OK", Migrate(source, target, key));
        }

        foreach (var port in cluster.Ports)
        {
            Assert.Equal("OK", RedisCluster.Cli(port, "cluster", "setslot", slotText, "node", targetId).Trim());
        }

        var afterMove = await store.GetStatusAsync(s_room, "waiter", default);

        // Assert: the client followed the slot to its new master, and the waiter kept its place.
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 1), afterMove);
        Assert.Equal(target, cluster.MasterOf(slot));
        Assert.NotEqual(scoreBefore, await database.SortedSetScoreAsync(keys.Queue, "waiter"));
    }

    private static string Migrate(int source, int target, string key) =>
        RedisCluster.Cli(source, "migrate", "127.0.0.1", target.ToString(System.Globalization.CultureInfo.InvariantCulture), key, "0", "5000").Trim();
}
