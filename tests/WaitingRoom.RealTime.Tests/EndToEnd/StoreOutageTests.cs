using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Faults;
using WaitingRoom.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// Redis fails under a running load (admitted visitors using the site, waiters polling, new
/// arrivals): killed (SIGKILL) and restarted on its port with its data (append-only file, fsync
/// on every write), or stopped (SIGSTOP: it hangs with its connections open) and continued. The
/// room follows WR_FAILURE_MODE within a second, never hangs a request, never answers 500, and
/// resumes by itself within 2 s of Redis' return with every waiter's place kept.
/// </summary>
[Collection(FaultTestGroup.Name)]
public sealed class StoreOutageTests
{
    /// <summary>The room's promise: the failure mode applies this soon after Redis fails, and no request waits longer.</summary>
    private static readonly TimeSpan s_failureAnswered = TimeSpan.FromSeconds(1);

    /// <summary>Normal answers this soon after Redis is back.</summary>
    private static readonly TimeSpan s_recovered = TimeSpan.FromSeconds(2);

    /// <summary>How long Redis stays away.</summary>
    private static readonly TimeSpan s_outage = TimeSpan.FromSeconds(2.5);

    private readonly ITestOutputHelper _output;

    public StoreOutageTests(ITestOutputHelper output) => _output = output;

    public enum Fault
    {
        /// <summary>SIGKILL, then a new redis-server on the same port with the same data.</summary>
        Killed,

        /// <summary>SIGSTOP, then SIGCONT: Redis hangs instead of dying.</summary>
        Hung,
    }

    [Theory]
    [InlineData(Fault.Killed)]
    [InlineData(Fault.Hung)]
    public async Task Outage_FailureModeClosed_503WithinASecondNoHangThenResumesWithPlacesKept(Fault fault)
    {
        await using var run = await LoadedRoom.StartAsync("closed");
        var (redis, backend, logs, proxy, room, clock, load, probe) = run;
        var failedAt = clock.Elapsed;
        Fail(redis, fault);
        await WaitForEveryKindAsync(load, failedAt + s_outage);
        var readyDuring = await probe.GetAsync("/_wr/ready");
        var healthDuring = await probe.GetAsync("/_wr/health");
        var backAt = clock.Elapsed;
        Recover(redis, fault);
        var firstNormal = await load.WaitForAsync(s => s.Started >= backAt && s.Kind == VisitorLoad.Kind.Poll && s.IsStoreAnswer, TimeSpan.FromSeconds(10));
        var readyAfter = await EventuallyReadyAsync(probe, clock, backAt);
        await load.StopAsync();

        var samples = load.Samples;
        var during = samples.Where(s => s.Started >= failedAt && s.Started < backAt).ToList();
        var firstOutageAnswer = during.Where(s => s.IsOutageAnswer).Select(s => s.Ended - failedAt).DefaultIfEmpty(TimeSpan.MaxValue).Min();
        var longest = samples.Where(s => s.Ended >= failedAt && s.Started < backAt).Max(s => s.Duration);
        Report(fault, "closed", failedAt, backAt, firstOutageAnswer, longest, firstNormal, readyAfter, samples);

        AssertNoServerErrorNoHang(samples);
        Assert.True(firstOutageAnswer < s_failureAnswered, $"first 503 {firstOutageAnswer.TotalMilliseconds:F0} ms after the failure");
        Assert.True(longest < s_failureAnswered, $"a request took {longest.TotalMilliseconds:F0} ms during the outage");
        var late = during.Where(s => s.Started >= failedAt + s_failureAnswered).ToList();
        Assert.Contains(late, s => s.Kind == VisitorLoad.Kind.Active);
        Assert.Contains(late, s => s.Kind == VisitorLoad.Kind.Arrival);
        Assert.All(late, s => Assert.True(s.IsOutageAnswer, $"not the 503 page: {s}"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyDuring.StatusCode);
        Assert.Equal(HttpStatusCode.OK, healthDuring.StatusCode);
        AssertRecovered(firstNormal, readyAfter, backAt);
        await AssertPlacesKeptAsync(proxy, room);
        Assert.Single(logs.Entries, e => e.EventId.Id == 100 && e.Message.Contains("WR_FAILURE_MODE=closed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Fault.Killed)]
    [InlineData(Fault.Hung)]
    public async Task Outage_FailureModeOpen_ForwardsAndSaysSoThenResumesWithPlacesKept(Fault fault)
    {
        await using var run = await LoadedRoom.StartAsync("open");
        var (redis, backend, logs, proxy, room, clock, load, probe) = run;
        var failedAt = clock.Elapsed;
        var requestsBefore = backend.Requests;
        Fail(redis, fault);
        await WaitForEveryKindAsync(load, failedAt + s_outage);
        var backAt = clock.Elapsed;
        var forwardedDuring = backend.Requests - requestsBefore;
        Recover(redis, fault);
        var firstNormal = await load.WaitForAsync(s => s.Started >= backAt && s.Kind == VisitorLoad.Kind.Poll && s.IsStoreAnswer, TimeSpan.FromSeconds(10));
        var readyAfter = await EventuallyReadyAsync(probe, clock, backAt);
        var recoveryLogged = await EventuallyAsync(() => logs.Entries.Any(e => e.EventId.Id == 101), TimeSpan.FromSeconds(5));
        await load.StopAsync();

        var samples = load.Samples;
        var during = samples.Where(s => s.Started >= failedAt && s.Started < backAt).ToList();
        var firstForwardedArrival = during.Where(s => s.Kind == VisitorLoad.Kind.Arrival && s.Status == HttpStatusCode.OK && s.MediaType == "text/plain")
            .Select(s => s.Ended - failedAt).DefaultIfEmpty(TimeSpan.MaxValue).Min();
        var longest = samples.Where(s => s.Ended >= failedAt && s.Started < backAt).Max(s => s.Duration);
        Report(fault, "open", failedAt, backAt, firstForwardedArrival, longest, firstNormal, readyAfter, samples);

        AssertNoServerErrorNoHang(samples);
        Assert.True(longest < s_failureAnswered, $"a request took {longest.TotalMilliseconds:F0} ms during the outage");

        // Newcomers (whom the store would have queued: the room is full) and admitted visitors are forwarded.
        var late = during.Where(s => s.Started >= failedAt + s_failureAnswered && s.Kind != VisitorLoad.Kind.Poll).ToList();
        Assert.Contains(late, s => s.Kind == VisitorLoad.Kind.Active);
        Assert.Contains(late, s => s.Kind == VisitorLoad.Kind.Arrival);
        Assert.All(late, s => Assert.True(s.Status == HttpStatusCode.OK && (s.Forwarded || s.MediaType == "text/plain"), $"not forwarded: {s}"));
        Assert.True(forwardedDuring >= late.Count, $"the backend saw {forwardedDuring} requests during the outage, {late.Count} expected at least");
        var down = Assert.Single(logs.Entries, e => e.EventId.Id == 100);
        Assert.Equal(LogLevel.Warning, down.Level);
        Assert.Contains("forwarding unchecked (WR_FAILURE_MODE=open)", down.Message, StringComparison.Ordinal);
        Assert.True(recoveryLogged, "the room did not log that the store answers again");
        AssertRecovered(firstNormal, readyAfter, backAt);
        await AssertPlacesKeptAsync(proxy, room);
    }

    /// <summary>Three slots, all taken, six waiters; a fixed secret; no per-address cap (all load comes from 127.0.0.1).</summary>
    private static Task<ProxyInstance> StartProxyAsync(DurableRedisServer redis, TestBackend backend, string failureMode, LogCapture logs)
    {
        var settings = redis.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        settings["WR_MAX_ACTIVE"] = "3";
        settings["WR_ACTIVE_TTL"] = "60";
        settings["WR_QUEUE_TTL"] = "60";
        settings["WR_RELEASE_INTERVAL"] = "1";
        settings["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0";
        settings["WR_FAILURE_MODE"] = failureMode;
        settings["WR_SECRET"] = "a-test-secret-of-enough-length";
        return ProxyInstance.StartAsync(settings, services => services.AddSingleton<ILoggerProvider>(logs), storeDeadline: StoreAvailability.DefaultRequestDeadline);
    }

    /// <summary>Fills the room (three admitted visitors) and queues six more; returns their tokens and places.</summary>
    internal static async Task<RoomState> RoomWithWaitersAsync(ProxyInstance proxy)
    {
        using var client = proxy.Anonymous();
        var active = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var answer = await ProxyInstance.GetJsonAsync(client, "/echo");
            Assert.True(answer.Json?.TryGetProperty("method", out _) == true, answer.Body);
            active.Add(answer.Token!);
        }

        var queued = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var answer = await ProxyInstance.GetJsonAsync(client, "/echo");
            Assert.Equal("queued", answer.Json?.GetProperty("state").GetString());
            queued.Add(answer.Token!);
        }

        return new RoomState(active, queued, await PositionsAsync(client, queued));
    }

    internal static async Task<Dictionary<string, long>> PositionsAsync(HttpClient client, IEnumerable<string> tokens)
    {
        var positions = new Dictionary<string, long>();
        foreach (var token in tokens)
        {
            var status = await ProxyInstance.GetJsonAsync(client, "/_wr/status", token);
            Assert.True(status.Status == HttpStatusCode.OK && status.Json?.GetProperty("state").GetString() == "queued", $"{(int)status.Status} {status.Body}");
            positions[token] = status.Json!.Value.GetProperty("position").GetInt64();
        }

        return positions;
    }

    private static void Fail(DurableRedisServer redis, Fault fault)
    {
        if (fault == Fault.Killed)
        {
            redis.Kill();
        }
        else
        {
            redis.Pause();
        }
    }

    private static void Recover(DurableRedisServer redis, Fault fault)
    {
        if (fault == Fault.Killed)
        {
            redis.Restart();
        }
        else
        {
            redis.Resume();
        }
    }

    /// <summary>The outage lasts until every kind of request has been sent again after <paramref name="until"/>.</summary>
    private static async Task WaitForEveryKindAsync(VisitorLoad load, TimeSpan until)
    {
        foreach (var kind in Enum.GetValues<VisitorLoad.Kind>())
        {
            Assert.NotNull(await load.WaitForAsync(s => s.Kind == kind && s.Started >= until, until + TimeSpan.FromSeconds(10)));
        }
    }

    /// <summary>How long after <paramref name="backAt"/> /_wr/ready answered 200 (null: not within 10 s).</summary>
    private static async Task<TimeSpan?> EventuallyReadyAsync(HttpClient probe, Stopwatch clock, TimeSpan backAt)
    {
        while (clock.Elapsed < backAt + TimeSpan.FromSeconds(10))
        {
            using var ready = await probe.GetAsync("/_wr/ready");
            if (ready.StatusCode == HttpStatusCode.OK)
            {
                return clock.Elapsed - backAt;
            }

            await Task.Delay(20);
        }

        return null;
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    private static void AssertNoServerErrorNoHang(IReadOnlyList<VisitorLoad.Sample> samples)
    {
        Assert.All(samples, s => Assert.True(s.Error is null, $"no answer: {s}"));
        Assert.All(samples, s => Assert.True(s.Status is not null && (int)s.Status < 500 || s.Status == HttpStatusCode.ServiceUnavailable, $"server error: {s}"));
    }

    private static void AssertRecovered(VisitorLoad.Sample? firstNormal, TimeSpan? readyAfter, TimeSpan backAt)
    {
        Assert.NotNull(firstNormal);
        Assert.True(firstNormal.Ended - backAt < s_recovered, $"first normal answer {(firstNormal.Ended - backAt).TotalMilliseconds:F0} ms after Redis was back");
        Assert.NotNull(readyAfter);
        Assert.True(readyAfter < s_recovered, $"ready {readyAfter.Value.TotalMilliseconds:F0} ms after Redis was back");
    }

    /// <summary>Every waiter from before the outage is still queued, in the same order, none further back.</summary>
    private static async Task AssertPlacesKeptAsync(ProxyInstance proxy, RoomState room)
    {
        using var client = proxy.Anonymous();
        var after = await PositionsAsync(client, room.Queued);
        Assert.Equal(room.Queued, room.Queued.OrderBy(t => after[t]));
        Assert.All(room.Queued, t => Assert.True(after[t] <= room.Positions[t], $"position {room.Positions[t]} became {after[t]}"));
    }

    private void Report(Fault fault, string mode, TimeSpan failedAt, TimeSpan backAt, TimeSpan firstFailureAnswer, TimeSpan longest, VisitorLoad.Sample? firstNormal, TimeSpan? readyAfter, IReadOnlyList<VisitorLoad.Sample> samples)
    {
        _output.WriteLine(
            $"{fault}, {mode}: {samples.Count} requests; outage {(backAt - failedAt).TotalMilliseconds:F0} ms; first failure-mode answer after {firstFailureAnswer.TotalMilliseconds:F0} ms; " +
            $"longest request {longest.TotalMilliseconds:F0} ms; first normal answer {(firstNormal is null ? "none" : $"{(firstNormal.Ended - backAt).TotalMilliseconds:F0} ms")} after Redis was back; " +
            $"ready after {readyAfter?.TotalMilliseconds:F0} ms");
        foreach (var slow in samples.OrderByDescending(s => s.Duration).Take(3))
        {
            _output.WriteLine($"  slowest: {slow} (failure at {failedAt.TotalMilliseconds:F0} ms, back at {backAt.TotalMilliseconds:F0} ms)");
        }
    }

    /// <summary>
    /// A full room under load on a Redis that can fail: a durable redis-server, a backend, the proxy
    /// in the given failure mode with its logs captured, three admitted visitors and six waiters,
    /// and a visitor load running that has had a store answer for an admitted visitor. Disposing
    /// stops them all, the load first.
    /// </summary>
    private sealed class LoadedRoom : IAsyncDisposable
    {
        private LoadedRoom(DurableRedisServer redis) => Redis = redis;

        public DurableRedisServer Redis { get; }

        public TestBackend Backend { get; private set; } = null!;

        public LogCapture Logs { get; } = new();

        public ProxyInstance Proxy { get; private set; } = null!;

        public RoomState Room { get; private set; } = null!;

        public Stopwatch Clock { get; private set; } = null!;

        public VisitorLoad Load { get; private set; } = null!;

        /// <summary>A client without a token, for /_wr/ready and /_wr/health.</summary>
        public HttpClient Probe { get; private set; } = null!;

        public static async Task<LoadedRoom> StartAsync(string failureMode)
        {
            var run = new LoadedRoom(DurableRedisServer.Start());
            try
            {
                run.Backend = await TestBackend.StartAsync();
                run.Proxy = await StartProxyAsync(run.Redis, run.Backend, failureMode, run.Logs);
                run.Room = await RoomWithWaitersAsync(run.Proxy);
                run.Clock = Stopwatch.StartNew();
                run.Load = new VisitorLoad(run.Clock, run.Proxy.Address);
                run.Probe = run.Proxy.Anonymous();

                run.Load.Start(run.Room.Active, run.Room.Queued, TimeSpan.FromMilliseconds(100));
                Assert.NotNull(await run.Load.WaitForAsync(s => s.Kind == VisitorLoad.Kind.Active && s.IsStoreAnswer, TimeSpan.FromSeconds(5)));
                return run;
            }
            catch
            {
                await run.DisposeAsync();
                throw;
            }
        }

        public void Deconstruct(
            out DurableRedisServer redis, out TestBackend backend, out LogCapture logs, out ProxyInstance proxy,
            out RoomState room, out Stopwatch clock, out VisitorLoad load, out HttpClient probe)
        {
            (redis, backend, logs, proxy, room, clock, load, probe) = (Redis, Backend, Logs, Proxy, Room, Clock, Load, Probe);
        }

        public async ValueTask DisposeAsync()
        {
            Probe?.Dispose();
            if (Load is not null)
            {
                await Load.DisposeAsync();
            }

            if (Proxy is not null)
            {
                await Proxy.DisposeAsync();
            }

            if (Backend is not null)
            {
                await Backend.DisposeAsync();
            }

            Redis.Dispose();
        }
    }

    /// <summary>The visitors of a full room: admitted tokens, queued tokens and their places.</summary>
    internal sealed record RoomState(IReadOnlyList<string> Active, IReadOnlyList<string> Queued, IReadOnlyDictionary<string, long> Positions);
}
