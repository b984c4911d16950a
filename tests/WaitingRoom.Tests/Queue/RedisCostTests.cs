using Microsoft.Extensions.Time.Testing;
using System.Globalization;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace WaitingRoom.Tests.Queue;

/// <summary>
/// A status call, an admission or a promotion round must cost the same with 100,000 waiters as
/// with 10: counted in Redis commands (INFO commandstats, which counts the commands a script
/// runs), not wall time. Runs on a redis-server of its own so no other test's commands are counted.
/// </summary>
public sealed class RedisCostTests : IDisposable
{
    private readonly RedisServer _server = RedisServer.StartPrivate();
    private readonly ITestOutputHelper _output;

    public RedisCostTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _server.Stop();

    [Fact]
    public async Task Status_100000Waiters_SameCommandsAsWith10()
    {
        var small = await CommandsPerCallAsync(10, (store, room, visitor) => store.GetStatusAsync(room, visitor, default));
        var large = await CommandsPerCallAsync(100_000, (store, room, visitor) => store.GetStatusAsync(room, visitor, default));
        _output.WriteLine($"status: {small} Redis commands with 10 waiters, {large} with 100,000");

        Assert.Equal(small, large);
        Assert.InRange(small, 2, 10);
    }

    [Fact]
    public async Task Admit_100000Waiters_SameCommandsAsWith10()
    {
        var small = await CommandsPerCallAsync(10, (store, room, visitor) => store.AdmitAsync(room, visitor, null, default));
        var large = await CommandsPerCallAsync(100_000, (store, room, visitor) => store.AdmitAsync(room, visitor, null, default));
        _output.WriteLine($"admit: {small} Redis commands with 10 waiters, {large} with 100,000");

        Assert.Equal(small, large);
        Assert.InRange(small, 2, 15);
    }

    /// <summary>
    /// Dropping waiters that stopped polling costs the same per dropped waiter whatever the queue's
    /// length: a round sweeps its batch of the poll log's stale head, one exact-score lookup
    /// and one removal each, and touches nobody else.
    /// </summary>
    [Fact]
    public async Task Promote_StaleWaitersAmong100000_SameCommandsAsAmong10()
    {
        var small = await PromoteCommandsAsync(10);
        var large = await PromoteCommandsAsync(100_000);
        _output.WriteLine($"promote (4 stale dropped): {small} Redis commands with 10 waiters, {large} with 100,000");

        Assert.Equal(small, large);
        Assert.InRange(small, 10, 40);
    }

    /// <summary>
    /// Issue 14's point: the polls of a waiter far from the head cost Redis nothing, whatever the queue's length;
    /// those of a waiter near the head cost its status script each. Through a real instance (virtual time, so no
    /// background round and no snapshot refresh falls in the window), 200 polls of each.
    /// </summary>
    [Fact]
    public async Task Status_FarWaiterThroughInstance_NoRedisCommandsNearOneScriptEach()
    {
        // Arrange: one slot taken, 1,100 waiters (the near zone holds 1,000), each keeping its cookies.
        var settings = _server.Settings(RedisServer.NewPrefix());
        settings["WR_MAX_ACTIVE"] = "1";
        settings["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0";
        await using var backend = await TestBackend.StartAsync();
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        await using var proxy = await ProxyInstance.StartAsync(settings, time: new FakeTimeProvider(TimeProvider.System.GetUtcNow()));
        using var client = proxy.Anonymous();
        string? near = null, far = null;
        for (var i = 0; i <= 1_100; i++)
        {
            using var joined = await client.GetAsync("/");
            var cookies = string.Join("; ", joined.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
            if (i == 1)
            {
                near = cookies;
            }

            far = cookies;
        }

        Assert.Contains("wr_token_place=", far, StringComparison.Ordinal);
        for (var warm = 0; warm < 50 && !(await PollAsync(client, far!, 1)).Last().Contains("\"position\":1100", StringComparison.Ordinal); warm++)
        {
            await Task.Delay(100); // the first poll starts the snapshot's refresh; once it is in, the instance answers
        }

        // Act
        _server.Command("CONFIG RESETSTAT");
        var farAnswers = await PollAsync(client, far!, 200);
        var farCommands = ScriptCalls(_server.Command("INFO commandstats"));
        _server.Command("CONFIG RESETSTAT");
        var nearAnswers = await PollAsync(client, near!, 200);
        var nearCommands = ScriptCalls(_server.Command("INFO commandstats"));
        _output.WriteLine($"200 polls: far waiter {farCommands} Redis commands, near waiter {nearCommands}");

        // Assert
        Assert.All(farAnswers, a => Assert.Contains("\"position\":1100", a, StringComparison.Ordinal));
        Assert.All(nearAnswers, a => Assert.Contains("\"position\":1,", a, StringComparison.Ordinal));
        Assert.InRange(farCommands, 0, 5); // the client's own housekeeping aside, nothing
        Assert.True(nearCommands >= 400, $"near waiter: {nearCommands} commands for 200 polls");
    }

    private static async Task<List<string>> PollAsync(HttpClient client, string cookies, int count)
    {
        var answers = new List<string>();
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/_wr/status");
            request.Headers.Add("Cookie", cookies);
            using var response = await client.SendAsync(request);
            answers.Add(await response.Content.ReadAsStringAsync());
        }

        return answers;
    }

    /// <summary>Fills a room's queue with <paramref name="waiters"/> (in one server-side loop) and counts the commands of one call for a waiter in the middle.</summary>
    private async Task<long> CommandsPerCallAsync(int waiters, Func<IWaitingRoomStore, RoomPolicy, string, Task<AdmissionResult>> call)
    {
        var (store, room, _) = await FillAsync(waiters, TimeSpan.FromHours(1));
        var middle = "w" + (waiters / 2).ToString(CultureInfo.InvariantCulture);
        var before = await call(store, room, middle);
        Assert.Equal(VisitorState.Queued, before.State);
        Assert.Equal(waiters, before.QueueLength);

        _server.Command("CONFIG RESETSTAT");
        var result = await call(store, room, middle);
        var stats = _server.Command("INFO commandstats");

        Assert.Equal(before.Position, result.Position);
        return ScriptCalls(stats);
    }

    /// <summary>
    /// Fills a queue whose waiters all stopped polling a TTL and a generation ago, all of them already judged near
    /// the head (the near mark past the last), and counts the commands of a promotion round that drops 4 of them.
    /// </summary>
    private async Task<long> PromoteCommandsAsync(int waiters)
    {
        var (store, filled, clock) = await FillAsync(waiters, TimeSpan.FromDays(1), judgedNear: true);
        var room = filled with { NearZone = 1 }; // a zone both queues fill, so the stamp of the near zone costs the same
        clock.Advance(room.QueueTtl + TimeSpan.FromMilliseconds(QueueScores.GenerationWidth(room.QueueTtl)));
        var before = await store.PromoteAsync(room, 4, default);
        Assert.Equal((4, 0, true), (before.Abandoned, before.Promoted, before.HasMore));

        _server.Command("CONFIG RESETSTAT");
        var result = await store.PromoteAsync(room, 4, default);
        var stats = _server.Command("INFO commandstats");

        Assert.Equal((4, 0, true), (result.Abandoned, result.Promoted, result.HasMore));
        Assert.Equal(waiters - 8, (await store.GetCountsAsync(room, default)).Queued);
        return ScriptCalls(stats);
    }

    /// <summary>
    /// A room with one active visitor and <paramref name="waiters"/> queued: the first through the
    /// store (it opens generation 0), the rest in one server-side loop, as the store would have
    /// written them: tickets 2.. with score 2^50 + ticket × 256 + 0, each logged in the poll log as ticket × 256 + 0.
    /// </summary>
    /// <param name="judgedNear">Moves the near mark past the last waiter, as if the head were near them all.</param>
    private async Task<(RedisWaitingRoomStore Store, RoomPolicy Room, FakeTimeProvider Clock)> FillAsync(int waiters, TimeSpan activeTtl, bool judgedNear = false)
    {
        var clock = new FakeTimeProvider();
        var prefix = RedisServer.NewPrefix();
        var store = new RedisWaitingRoomStore(_server.Connection, clock, prefix, RedisServer.PatientAvailability());
        var room = new RoomPolicy("default", 1, activeTtl, TimeSpan.FromHours(1), TimeSpan.FromHours(1));
        await store.AdmitAsync(room, "holder", null, default);
        await store.AdmitAsync(room, "first-waiter", null, default);
        var keys = new RoomKeys(prefix, room.Name);
        await _server.Connection.GetDatabase().ScriptEvaluateAsync(
            """
            for i = 1, tonumber(ARGV[1]) do
              redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + (i + 1) * 256, 'w' .. i)
              redis.call('RPUSH', KEYS[2], (i + 1) * 256)
            end
            redis.call('SET', KEYS[3], tonumber(ARGV[1]) + 1)
            """,
            [keys.Queue, keys.PollLog, keys.Ticket],
            [waiters - 1, QueueScores.RedisScoreBase]);
        if (judgedNear)
        {
            await _server.Connection.GetDatabase().HashSetAsync(keys.Generations, "near", waiters + 1);
        }

        return (store, room, clock);
    }

    /// <summary>
    /// The commands of the script call in the window. The client's own keep-alive and housekeeping
    /// (PING, ECHO, CLIENT, ...) may land in the window on a loaded machine; only the script and the
    /// commands it runs are the call's cost.
    /// </summary>
    private static long ScriptCalls(string stats) =>
        TotalCalls(stats, exclude: ["cmdstat_info", "cmdstat_config", "cmdstat_ping", "cmdstat_echo", "cmdstat_client", "cmdstat_cluster", "cmdstat_subscribe", "cmdstat_select", "cmdstat_time"]);

    private static long TotalCalls(string info, string[] exclude)
    {
        long total = 0;
        foreach (var line in info.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (!line.StartsWith("cmdstat_", StringComparison.Ordinal) || colon < 0 || exclude.Any(e => line.StartsWith(e + ":", StringComparison.Ordinal)))
            {
                continue;
            }

            var calls = line[(colon + 1)..].Split(',').First(p => p.StartsWith("calls=", StringComparison.Ordinal));
            total += long.Parse(calls["calls=".Length..], CultureInfo.InvariantCulture);
        }

        return total;
    }
}
