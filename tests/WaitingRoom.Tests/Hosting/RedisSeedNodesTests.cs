using System.Net;
using Microsoft.Extensions.Configuration;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Hosting;

/// <summary>
/// WR_REDIS_HOST as a list of seed nodes (host[:port], comma-separated) for a Redis Cluster: read,
/// refused with a line naming the variable when malformed, handed to the client, and shown in the
/// configuration report.
/// </summary>
public sealed class RedisSeedNodesTests
{
    private static IConfiguration Configuration(params (string Name, string? Value)[] variables) =>
        new ConfigurationBuilder().AddInMemoryCollection(variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.OrdinalIgnoreCase)).Build();

    [Fact]
    public void Read_SeveralNodes_EachWithItsPortOrWrRedisPort()
    {
        // Arrange
        var configuration = Configuration(("WR_REDIS_HOST", " redis-a:7001, redis-b ,10.0.0.9:7003,[::1]:7004,fe80::1 "), ("WR_REDIS_PORT", "7000"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal(
            [("redis-a", 7001), ("redis-b", 7000), ("10.0.0.9", 7003), ("::1", 7004), ("fe80::1", 7000)],
            options.RedisEndpoints.Select(e => (e.Host, e.Port)));
        Assert.False(options.UsesInMemoryStore);
    }

    [Fact]
    public void Read_OneHost_OneNodeAsBefore()
    {
        // Arrange & Act
        var options = WaitingRoomOptionsReader.Read(Configuration(("WR_REDIS_HOST", "redis.internal"), ("WR_REDIS_PORT", "6390")));

        // Assert
        Assert.Equal([("redis.internal", 6390)], options.RedisEndpoints.Select(e => (e.Host, e.Port)));
        Assert.Equal("redis.internal", options.RedisHost);
    }

    [Theory]
    [InlineData("redis-a:7001,,redis-b:7002")]
    [InlineData("redis-a:7001,")]
    [InlineData("redis-a:0")]
    [InlineData("redis-a:65536")]
    [InlineData("redis-a:port")]
    [InlineData("redis-a:7001:7002")]
    [InlineData("[::1]7001")]
    [InlineData("[redis-a]:7001")]
    [InlineData("redis a:7001")]
    [InlineData("redis-a:7001,redis-a:7001")]
    [InlineData("redis.example/0")]
    public void Read_MalformedNodeList_OneLineNamingTheVariable(string value)
    {
        // Arrange
        var configuration = Configuration(("WR_REDIS_HOST", value));

        // Act
        var exception = Assert.Throws<WaitingRoomConfigurationException>(() => WaitingRoomOptionsReader.Read(configuration));

        // Assert
        var line = Assert.Single(exception.Errors);
        Assert.StartsWith($"WR_REDIS_HOST='{value.Trim()}' is not valid: ", line, StringComparison.Ordinal);
        Assert.Contains("host[:port]", line, StringComparison.Ordinal);
    }

    [Fact]
    public void RedisConfiguration_SeveralNodes_ClientGetsEveryNode()
    {
        // Arrange
        var options = WaitingRoomOptionsReader.Read(Configuration(("WR_REDIS_HOST", "redis-a:7001,redis-b:7002,redis-c")));

        // Act
        var configuration = RedisConnectionOptions.Create(options);

        // Assert
        Assert.Equal(
            ["redis-a:7001", "redis-b:7002", "redis-c:6379"],
            configuration.EndPoints.Cast<DnsEndPoint>().Select(e => $"{e.Host}:{e.Port}"));
    }

    [Fact]
    public void RedisConfiguration_RedisUrl_ClientGetsTheUrlsNode()
    {
        // Arrange
        var options = WaitingRoomOptionsReader.Read(Configuration(("WR_REDIS_URL", "redis://redis.example:6380/1")));

        // Act
        var configuration = RedisConnectionOptions.Create(options);

        // Assert
        Assert.Equal(["redis.example:6380"], configuration.EndPoints.Cast<DnsEndPoint>().Select(e => $"{e.Host}:{e.Port}"));
    }

    [Fact]
    public void Render_SeveralNodes_StoreLineListsEveryNode()
    {
        // Arrange
        var configuration = Configuration(("WR_REDIS_HOST", "redis-a:7001,redis-b,[::1]:7003"), ("WR_REDIS_PORT", "7002"));
        var warnings = new List<string>();
        var options = WaitingRoomOptionsReader.Read(configuration, warnings);

        // Act
        var lines = ConfigurationReport.Render(options, configuration, warnings).Replace("\r", "", StringComparison.Ordinal).Split('\n');

        // Assert
        Assert.Contains("WR_REDIS_HOST=redis-a:7001,redis-b,[::1]:7003  # set", lines);
        Assert.Contains("store: Redis at redis-a:7001, redis-b:7002, [::1]:7003 (from WR_REDIS_HOST), TLS off, database 0, password none, key prefix 'wr'", lines);
    }
}
