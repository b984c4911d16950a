using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using StackExchange.Redis;
using WaitingRoom.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace WaitingRoom.Tests.Faults;

/// <summary>
/// Three instance processes share one Redis; visitors' requests go round-robin over them, as
/// behind a load balancer. One instance is killed (SIGKILL) while the room is full and nine wait:
/// nobody loses a place, the survivors promote everyone in turn, capacity holds at every sample
/// of the store, and nobody is admitted twice.
/// </summary>
[Collection(FaultTestGroup.Name)]
public sealed class InstanceDeathTests
{
    private const int Capacity = 3;
    private const int Waiters = 9;
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(40);
    private readonly ITestOutputHelper _output;

    public InstanceDeathTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Sigkill_OneOfThreeInstances_WaitersKeepPlacesAndSurvivorsAdmitEveryoneOnceWithinCapacity()
    {
        // Arrange: one slot holder per instance, nine waiters; promotion every 0.5 s on every instance.
        var prefix = RedisServer.NewPrefix();
        await using var backend = await TestBackend.StartAsync();
        var variables = new Dictionary<string, string>
        {
            ["WR_BACKEND_URL"] = backend.Address.ToString(),
            ["WR_SECRET"] = "a-test-secret-of-enough-length",
            ["WR_MAX_ACTIVE"] = Capacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["WR_RELEASE_INTERVAL"] = "0.5",
            ["WR_ACTIVE_TTL"] = "30",
            ["WR_QUEUE_TTL"] = "30",
            ["WR_ADMISSION_WINDOW"] = "20",
            ["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0",
        };
        foreach (var (name, value) in RedisServer.Shared.Settings(prefix))
        {
            variables[name] = value!;
        }

        var instances = new List<AppProcess>();
        try
        {
            instances.AddRange(await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => AppProcess.StartAsync(variables, AppProcess.ReadyPath))));
            using var balancer = new RoundRobin(instances);
            var clock = Stopwatch.StartNew();
            var database = RedisServer.Shared.Connection.GetDatabase();
            using var sampling = new CancellationTokenSource();
            var capacitySamples = SampleCapacityAsync(database, prefix, sampling.Token);

            var holders = new List<string>();
            var waiters = new List<string>();
            for (var i = 0; i < Capacity + Waiters; i++)
            {
                var (status, json, token) = await balancer.GetAsync("/echo", null);
                Assert.Equal(HttpStatusCode.OK, status);
                (json.TryGetProperty("method", out _) ? holders : waiters).Add(token!);
            }

            Assert.Equal(Capacity, holders.Count);
            var before = await balancer.PositionsAsync(waiters);
            Assert.Equal(Enumerable.Range(1, Waiters).Select(p => (long)p), waiters.Select(w => before[w]));

            // Act: waiters poll; the slot holders use the site for a while, then the victim dies,
            // then the holders leave (the origin releases their slots) and the waiters follow in turn.
            var admittedAt = new ConcurrentDictionary<string, TimeSpan>();
            using var stop = new CancellationTokenSource(s_limit);
            var waiting = waiters.Select(w => WaitAndVisitAsync(balancer, w, admittedAt, clock, stop.Token)).ToList();
            for (var i = 0; i < 3; i++)
            {
                foreach (var holder in holders)
                {
                    var (status, json, _) = await balancer.GetAsync("/echo", holder);
                    Assert.True(status == HttpStatusCode.OK && json.TryGetProperty("method", out _), $"slot holder not admitted: {(int)status} {json}");
                }
            }

            var victim = instances[0];
            victim.Kill();
            balancer.Remove(victim);
            var killedAt = clock.Elapsed;
            var after = await balancer.PositionsAsync(waiters);
            foreach (var holder in holders)
            {
                var (status, _, _) = await balancer.GetAsync("/release", holder);
                Assert.Equal(HttpStatusCode.OK, status);
            }

            var polls = await Task.WhenAll(waiting);
            await sampling.CancelAsync();
            var samples = await capacitySamples;
            var promoted = (long)await database.StringGetAsync($"{prefix}:{{default}}:promoted");
            var admittedStraight = (long)await database.StringGetAsync($"{prefix}:{{default}}:admitted");
            _output.WriteLine(
                $"killed at {killedAt.TotalMilliseconds:F0} ms; all {admittedAt.Count} waiters admitted by {admittedAt.Values.DefaultIfEmpty().Max().TotalMilliseconds:F0} ms; " +
                $"{balancer.Retried} requests retried on a survivor; {samples.Count} capacity samples, max {samples.DefaultIfEmpty().Max()}; promoted {promoted}, admitted straight {admittedStraight}");

            // Assert: places kept across the death, the same order, and every position only fell while polling.
            Assert.Equal(waiters, waiters.OrderBy(w => after[w]));
            Assert.All(waiters, w => Assert.True(after[w] <= before[w], $"position {before[w]} became {after[w]}"));
            Assert.All(polls, p => Assert.True(p.NeverRose, $"a position rose: {string.Join(",", p.Positions)}"));

            // Everyone admitted, by the survivors, after the death.
            Assert.Equal(Waiters, admittedAt.Count);
            Assert.All(admittedAt.Values, t => Assert.True(t > killedAt));

            // Capacity never exceeded; nobody promoted or admitted twice.
            Assert.NotEmpty(samples);
            Assert.All(samples, s => Assert.True(s <= Capacity, $"active + released = {s}"));
            Assert.Equal(Waiters, promoted);
            Assert.Equal(Capacity, admittedStraight);
            Assert.All(polls, p => Assert.Equal(1, p.Admissions));
        }
        finally
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }
        }
    }

    /// <summary>
    /// One waiter: polls /_wr/status until it is released, then visits the site once (which makes
    /// it active) and leaves through the origin's release, freeing the slot for the next.
    /// </summary>
    private static async Task<PollLog> WaitAndVisitAsync(RoundRobin balancer, string token, ConcurrentDictionary<string, TimeSpan> admittedAt, Stopwatch clock, CancellationToken cancellationToken)
    {
        var log = new PollLog();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (status, json, _) = await balancer.GetAsync("/_wr/status", token);
            Assert.Equal(HttpStatusCode.OK, status);
            var state = json.GetProperty("state").GetString();
            if (state == "queued")
            {
                log.Positions.Add(json.GetProperty("position").GetInt64());
                await Task.Delay(150, cancellationToken);
                continue;
            }

            Assert.True(state is "released" or "active", $"waiter lost: {json}");
            var (visit, page, _) = await balancer.GetAsync("/echo", token);
            Assert.True(visit == HttpStatusCode.OK && page.TryGetProperty("method", out _), $"released waiter not admitted: {(int)visit} {page}");
            log.Admissions++;
            admittedAt[token] = clock.Elapsed;
            var (left, _, _) = await balancer.GetAsync("/release", token);
            Assert.Equal(HttpStatusCode.OK, left);
            return log;
        }
    }

    /// <summary>active + released of the room, read atomically every few milliseconds until cancelled.</summary>
    private static async Task<List<long>> SampleCapacityAsync(IDatabase database, string prefix, CancellationToken cancellationToken)
    {
        var samples = new List<long>();
        RedisKey[] keys = [$"{prefix}:{{default}}:active", $"{prefix}:{{default}}:released"];
        while (!cancellationToken.IsCancellationRequested)
        {
            var count = (long)await database.ScriptEvaluateAsync("return redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])", keys);
            samples.Add(count);
            try
            {
                await Task.Delay(10, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return samples;
    }

    private sealed class PollLog
    {
        public List<long> Positions { get; } = [];

        public int Admissions { get; set; }

        public bool NeverRose => Positions.Zip(Positions.Skip(1)).All(p => p.Second <= p.First);
    }

    /// <summary>
    /// A load balancer in miniature: requests go round-robin over the live instances; a request
    /// whose connection fails (an instance that just died) is sent again to the next one.
    /// </summary>
    private sealed class RoundRobin : IDisposable
    {
        private readonly List<AppProcess> _live;
        private readonly HttpClient _client = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) };
        private readonly Lock _lock = new();
        private int _next;
        private int _retried;

        public RoundRobin(IEnumerable<AppProcess> instances) => _live = [.. instances];

        public int Retried => Volatile.Read(ref _retried);

        public void Remove(AppProcess instance)
        {
            lock (_lock)
            {
                _live.Remove(instance);
            }
        }

        public async Task<(HttpStatusCode Status, JsonElement Json, string? Token)> GetAsync(string path, string? token)
        {
            for (var attempt = 0; ; attempt++)
            {
                Uri address;
                lock (_lock)
                {
                    address = _live[(int)((uint)_next++ % _live.Count)].Address;
                }

                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, path));
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                if (token is not null)
                {
                    request.Headers.Add("Cookie", "wr_token=" + token);
                }

                try
                {
                    using var response = await _client.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    var json = response.Content.Headers.ContentType?.MediaType == "application/json"
                        ? JsonDocument.Parse(body).RootElement.Clone()
                        : JsonDocument.Parse(JsonSerializer.Serialize(new { text = body })).RootElement.Clone();
                    return (response.StatusCode, json, ProxyInstance.TokenOf(response) ?? token);
                }
                catch (HttpRequestException) when (attempt < 3)
                {
                    Interlocked.Increment(ref _retried);
                }
            }
        }

        public async Task<Dictionary<string, long>> PositionsAsync(IEnumerable<string> tokens)
        {
            var positions = new Dictionary<string, long>();
            foreach (var token in tokens)
            {
                var (status, json, _) = await GetAsync("/_wr/status", token);
                Assert.True(status == HttpStatusCode.OK && json.GetProperty("state").GetString() == "queued", $"{(int)status} {json}");
                positions[token] = json.GetProperty("position").GetInt64();
            }

            return positions;
        }

        public void Dispose() => _client.Dispose();
    }
}
