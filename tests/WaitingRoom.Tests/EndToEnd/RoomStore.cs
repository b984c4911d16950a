using StackExchange.Redis;
using WaitingRoom.Tests.Infrastructure;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// Looks into one room's Redis keys (<c>&lt;prefix&gt;:{&lt;room&gt;}:&lt;set&gt;</c>) on the shared test server,
/// through a connection of its own and only asynchronously, so a look-up neither waits behind the
/// store tests that share <see cref="RedisServer.Connection"/> nor blocks a thread the proxies need.
/// </summary>
internal static class RoomStore
{
    /// <summary>2^50: random draws score below it, arrival tickets at or above it.</summary>
    public const double TicketBase = 1L << 50;

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private static readonly Lazy<ConnectionMultiplexer> s_connection = new(
        () => ConnectionMultiplexer.Connect(RedisServer.Shared.EndPoint + ",syncTimeout=10000"),
        LazyThreadSafetyMode.ExecutionAndPublication);

    private static IDatabase Database => s_connection.Value.GetDatabase();

    public static string Key(string prefix, string room, string set) => $"{prefix}:{{{room}}}:{set}";

    /// <summary>ZCARD of one of the room's sorted sets (active, released, queue, admits, ...).</summary>
    public static Task<long> CountAsync(string prefix, string room, string set) =>
        Database.SortedSetLengthAsync(Key(prefix, room, set)).WaitAsync(s_timeout);

    /// <summary>ZSCORE of one member of one of the room's sorted sets; null when it is not there.</summary>
    public static Task<double?> ScoreAsync(string prefix, string room, string set, string member) =>
        Database.SortedSetScoreAsync(Key(prefix, room, set), member).WaitAsync(s_timeout);

    /// <summary>Active plus released-not-yet-arrived, read in one MULTI so both numbers are from the same instant.</summary>
    public static async Task<long> UsedAsync(string prefix, string room)
    {
        var transaction = Database.CreateTransaction();
        var active = transaction.SortedSetLengthAsync(Key(prefix, room, "active"));
        var released = transaction.SortedSetLengthAsync(Key(prefix, room, "released"));
        Xunit.Assert.True(await transaction.ExecuteAsync().WaitAsync(s_timeout));
        return await active + await released;
    }

    /// <summary>The room's adaptive capacity hash (cap, hold, pin, why, at, v) as stored; empty when none.</summary>
    public static async Task<Dictionary<string, string>> CapacityAsync(string prefix, string room = "default") =>
        (await Database.HashGetAllAsync(Key(prefix, room, "capacity")).WaitAsync(s_timeout)).ToDictionary(e => (string)e.Name!, e => (string)e.Value!);

    /// <summary>The queue in line order: visitor id and score (ZRANGE queue 0 -1 WITHSCORES).</summary>
    public static Task<SortedSetEntry[]> QueueAsync(string prefix, string room = "default") =>
        Database.SortedSetRangeByRankWithScoresAsync(Key(prefix, room, "queue")).WaitAsync(s_timeout);
}
