using System.Globalization;
using WaitingRoom.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace WaitingRoom.Tests.ScaleOut;

/// <summary>
/// Three WaitingRoom processes behind a round-robin keep every invariant under a minute of mixed
/// load (see <see cref="SoakScenario"/>): on one Redis, and on a 3-master Redis Cluster whose two
/// rooms live on different masters.
/// </summary>
[Collection(ScaleOutSerial.Name)]
public sealed class ScaleOutSoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Soak_ThreeInstancesOneRedis_KeepEveryInvariant()
    {
        var server = RedisServer.StartPrivate();
        try
        {
            await SoakScenario.RunAsync(
                "one Redis",
                server.Connection,
                new Dictionary<string, string>
                {
                    ["WR_REDIS_HOST"] = server.Host,
                    ["WR_REDIS_PORT"] = server.Port.ToString(CultureInfo.InvariantCulture),
                },
                output);
        }
        finally
        {
            server.Stop();
        }
    }

    [Fact]
    public async Task Soak_ThreeInstancesRedisCluster_KeepEveryInvariant()
    {
        using var cluster = RedisCluster.Start();

        // The two rooms' hash tags must land on different masters, or the cluster would prove no more than one node.
        var masters = SoakScenario.Rooms.Select(room => cluster.MasterOf(cluster.KeySlot(room.Name))).ToList();
        output.WriteLine($"cluster nodes {string.Join(", ", cluster.Ports)}; " +
            string.Join("; ", SoakScenario.Rooms.Select((room, i) => $"room {room.Name}: slot {cluster.KeySlot(room.Name)} on the master at port {masters[i]}")));
        Assert.Equal(SoakScenario.Rooms.Length, masters.Distinct().Count());

        // The proxy is given every node as a seed (WR_REDIS_HOST=host:port,host:port,host:port).
        await SoakScenario.RunAsync("Redis Cluster", cluster.Connection, new Dictionary<string, string> { ["WR_REDIS_HOST"] = cluster.SeedList }, output);
    }
}
