using System.Diagnostics;
using System.Net;
using StackExchange.Redis;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Faults;
using WaitingRoom.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace WaitingRoom.Tests.ScaleOut;

/// <summary>
/// The room on a Sentinel-managed Redis (WR_REDIS_SENTINEL, WR_REDIS_HOST listing the sentinels):
/// the master is SIGKILLed under a bounded load of admitted visitors, waiters polling and new
/// arrivals; the sentinels promote the replica and the client follows it by itself. The room
/// serves again within 10 s of the promotion, no place that reached the replica is lost, and the
/// room never holds more than its capacity (active + released), before, during or after.
/// </summary>
[Collection(ScaleOutSerial.Name)]
public sealed class RedisSentinelFailoverTests
{
    private const int MaxActive = 3;
    private static readonly TimeSpan s_servedAgain = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(30);

    // The promotion is the sentinels' own work: a split vote retries after 2 × failover-timeout
    // and a sentinel whose timer stalled 2 s (a loaded host) sits in TILT for 30 s, so it gets
    // longer than the room's own steps; the room's claim is timed from the promotion.
    private static readonly TimeSpan s_promotionLimit = TimeSpan.FromSeconds(75);
    private readonly ITestOutputHelper _output;

    public RedisSentinelFailoverTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task MasterKilledUnderLoad_ServesAgainWithin10sOfThePromotionPlacesAndCapacityKept()
    {
        // Arrange: a full room (3 admitted) and 5 waiters, through the sentinels.
        var clock = Stopwatch.StartNew();
        using var group = RedisSentinelGroup.Start();
        var groupReady = clock.Elapsed;
        await using var backend = await TestBackend.StartAsync();
        var prefix = RedisServer.NewPrefix();
        await using var proxy = await ProxyInstance.StartAsync(new Dictionary<string, string?>
        {
            ["WR_REDIS_SENTINEL"] = RedisSentinelGroup.MasterName,
            ["WR_REDIS_HOST"] = group.SentinelList,
            ["WR_REDIS_KEY_PREFIX"] = prefix,
            ["WR_BACKEND_URL"] = backend.Address.ToString(),
            ["WR_MAX_ACTIVE"] = MaxActive.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["WR_RELEASE_INTERVAL"] = "0.5",
            ["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0",
            ["WR_SECRET"] = "a-test-secret-of-enough-length",
        }, storeDeadline: StoreAvailability.DefaultRequestDeadline);
        using var client = proxy.Anonymous();
        var active = await VisitorsAsync(client, MaxActive, answer => Assert.True(answer.Json?.TryGetProperty("method", out _) == true, answer.Body));
        var queued = await VisitorsAsync(client, 5, answer => Assert.Equal("queued", answer.Json?.GetProperty("state").GetString()));
        var before = await EndToEnd.StoreOutageTests.PositionsAsync(client, queued);
        var keys = new RoomKeys(prefix, "default");
        using var stopMonitor = new CancellationTokenSource();
        var counts = new System.Collections.Concurrent.ConcurrentQueue<(TimeSpan At, long Count)>();
        var capacity = MonitorCapacityAsync(group, keys, clock, counts, stopMonitor.Token);
        await using var load = new VisitorLoad(clock, proxy.Address);
        load.Start(active, queued, TimeSpan.FromMilliseconds(100));
        Assert.NotNull(await load.WaitForAsync(s => s.Kind == VisitorLoad.Kind.Poll && s.IsStoreAnswer, TimeSpan.FromSeconds(5)));

        // Act: every write so far is on the replica (WAIT 1), then SIGKILL the master.
        Assert.Equal("1", RedisSentinelGroup.Cli(group.MasterPort, "wait", "1", "5000"));
        var replicaOffset = group.ReplicaState().Offset;
        var killedAt = clock.Elapsed;
        group.KillMaster();
        var switchedAt = await WhenAsync(group.PromotedAsync, clock, s_promotionLimit, "the sentinels promote the replica", group.FailoverLog);
        var outage = await load.WaitForAsync(s => s.Started > killedAt && s.IsOutageAnswer, s_limit);
        var outageAt = outage?.Started ?? killedAt;
        var served = await load.WaitForAsync(s => s.Started > outageAt && s.Kind == VisitorLoad.Kind.Poll && s.IsStoreAnswer, s_limit);
        var activeServed = await load.WaitForAsync(s => s.Started > killedAt && s.Kind == VisitorLoad.Kind.Active && s.Forwarded && s.Started > (served?.Started ?? TimeSpan.MaxValue), s_limit);
        var arrivalServed = await load.WaitForAsync(s => s.Started > (served?.Started ?? TimeSpan.MaxValue) && s.Kind == VisitorLoad.Kind.Arrival && s.Status == HttpStatusCode.OK, s_limit);
        await WhenAsync(() => Task.FromResult(counts.Any(c => c.At > switchedAt)), clock, s_limit, "the capacity is read on the new master", group.FailoverLog);
        await load.StopAsync();
        var after = await EndToEnd.StoreOutageTests.PositionsAsync(client, queued);
        var stillActive = await Task.WhenAll(active.Select(token => ProxyInstance.GetJsonAsync(client, "/echo", token)));
        await stopMonitor.CancelAsync();
        await capacity;

        // Assert
        var samples = load.Samples;
        Assert.NotNull(outage);
        Assert.NotNull(served);
        Assert.NotNull(activeServed);
        Assert.NotNull(arrivalServed);
        var servedAfterSwitch = served.Ended - switchedAt;
        _output.WriteLine(
            $"sentinel group ready in {groupReady.TotalMilliseconds:F0} ms; replica offset {replicaOffset} at the kill; promotion (the sentinels name the replica) " +
            $"{(switchedAt - killedAt).TotalMilliseconds:F0} ms after the kill; first outage answer {(outage.Ended - killedAt).TotalMilliseconds:F0} ms after it; first store answer after that {(served.Ended - killedAt).TotalMilliseconds:F0} ms after the kill, " +
            $"{servedAfterSwitch.TotalMilliseconds:F0} ms after the promotion; {samples.Count} requests, {samples.Count(s => s.IsOutageAnswer)} outage answers; " +
            $"capacity sampled {counts.Count} times, at most {counts.DefaultIfEmpty().Max(c => c.Count)} of {MaxActive}");
        _output.WriteLine(group.FailoverLog());
        foreach (var slow in samples.Where(s => s.Ended > killedAt).OrderByDescending(s => s.Duration).Take(3))
        {
            _output.WriteLine($"  slowest after the kill: {slow} (kill at {killedAt.TotalMilliseconds:F0} ms, promotion at {switchedAt.TotalMilliseconds:F0} ms)");
        }

        Assert.True(servedAfterSwitch < s_servedAgain, $"served again {servedAfterSwitch.TotalMilliseconds:F0} ms after the promotion");
        Assert.All(samples, s => Assert.True(s.Status is { } status && ((int)status < 500 || status == HttpStatusCode.ServiceUnavailable), $"no answer or a server error: {s}"));
        Assert.Equal(queued, queued.OrderBy(t => after[t]));
        Assert.All(queued, t => Assert.True(after[t] <= before[t], $"position {before[t]} became {after[t]}"));
        Assert.All(stillActive, answer => Assert.True(answer.Json?.TryGetProperty("method", out _) == true, $"an admitted visitor lost its slot: {answer.Body}"));
        Assert.All(counts, c => Assert.True(c.Count <= MaxActive, $"{c.Count} active + released at {c.At.TotalMilliseconds:F0} ms"));
    }

    private static async Task<List<string>> VisitorsAsync(HttpClient client, int count, Action<(HttpStatusCode Status, System.Text.Json.JsonElement? Json, string? Token, string Body)> check)
    {
        var tokens = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var answer = await ProxyInstance.GetJsonAsync(client, "/echo");
            check(answer);
            tokens.Add(answer.Token!);
        }

        return tokens;
    }

    /// <summary>Polls every 50 ms until <paramref name="condition"/> holds; the time it first did on <paramref name="clock"/>.</summary>
    private static async Task<TimeSpan> WhenAsync(Func<Task<bool>> condition, Stopwatch clock, TimeSpan limit, string what, Func<string> context)
    {
        var deadline = clock.Elapsed + limit;
        while (!await condition())
        {
            Assert.True(clock.Elapsed < deadline, $"{what}: not within {limit.TotalSeconds:0} s; the sentinels logged:{Environment.NewLine}{context()}");
            await Task.Delay(50);
        }

        return clock.Elapsed;
    }

    /// <summary>
    /// Every 50 ms, active + released of the room as one script on whichever node the sentinels
    /// name master (the test's own Sentinel-aware connection); reads that fail during the
    /// failover are skipped.
    /// </summary>
    private static async Task MonitorCapacityAsync(
        RedisSentinelGroup group, RoomKeys keys, Stopwatch clock, System.Collections.Concurrent.ConcurrentQueue<(TimeSpan At, long Count)> counts, CancellationToken stop)
    {
        using var connection = await ConnectionMultiplexer.ConnectAsync($"{group.SentinelList},serviceName={RedisSentinelGroup.MasterName},abortConnect=false,syncTimeout=1000,asyncTimeout=1000");
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var count = (long)await connection.GetDatabase().ScriptEvaluateAsync(
                    "return redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])", [keys.Active, keys.Released]);
                counts.Enqueue((clock.Elapsed, count));
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // The master is gone or being replaced: the next read goes to the new one.
            }

            try
            {
                await Task.Delay(50, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
