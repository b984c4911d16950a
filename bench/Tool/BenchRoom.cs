using StackExchange.Redis;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;

namespace WaitingRoom.Bench;

/// <summary>
/// The default room of a proxy started by run.sh, reached through the product's own store class,
/// so the benchmark follows the key layout and the scripts of the version under test.
/// </summary>
internal sealed class BenchRoom : IDisposable
{
    private BenchRoom(ConnectionMultiplexer connection, string prefix, RoomPolicy policy)
    {
        Connection = connection;
        Policy = policy;
        Store = new RedisWaitingRoomStore(connection, TimeProvider.System, prefix);
        Keys = new RoomKeys(prefix, policy.Name);
    }

    /// <summary>The proxy's default key prefix (WR_REDIS_KEY_PREFIX unset).</summary>
    public static string DefaultKeyPrefix { get; } = new WaitingRoomOptions().KeyPrefix;

    public ConnectionMultiplexer Connection { get; }

    public RedisWaitingRoomStore Store { get; }

    public RoomPolicy Policy { get; }

    public RoomKeys Keys { get; }

    /// <summary>
    /// Connects to --redis (host:port, or a cluster's seed list host:port,host:port,...) for the
    /// room --room (default "default") under --prefix (WR_REDIS_KEY_PREFIX of the proxy; default
    /// "wr"). The policy is a FIFO room with <paramref name="maxActive"/> places and the TTLs
    /// given, no per-client cap.
    /// </summary>
    public static BenchRoom Open(Arguments args, int maxActive = 1, TimeSpan? ttl = null)
    {
        var lifetime = ttl ?? TimeSpan.FromHours(1);
        var connection = ConnectionMultiplexer.Connect($"{args.Text("redis")},abortConnect=false,syncTimeout=10000");
        var prefix = args.OptionalText("prefix") ?? DefaultKeyPrefix;
        var name = args.OptionalText("room") ?? RoomPolicy.DefaultName;
        return new BenchRoom(connection, prefix, new RoomPolicy(name, maxActive, lifetime, lifetime, lifetime));
    }

    /// <summary>Closes without waiting for a quiet connection: 1.2.6's Dispose can wait a whole sync timeout.</summary>
    public void Dispose()
    {
        Connection.Close(allowCommandsToComplete: false);
        Connection.Dispose();
    }
}
