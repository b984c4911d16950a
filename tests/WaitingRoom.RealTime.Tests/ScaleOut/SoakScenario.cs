using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using StackExchange.Redis;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Infrastructure;
using WaitingRoom.Tests.Operations;
using Xunit;
using Xunit.Abstractions;

namespace WaitingRoom.Tests.ScaleOut;

/// <summary>
/// The many-instances soak, one scenario for every store layout (one Redis, Redis Cluster): three
/// WaitingRoom processes (the built DLL, as operators run it) share the store behind a round-robin,
/// with two rooms (<c>default</c> on <c>/</c>, <c>sale</c> on <c>/sale</c>, FIFO). For
/// <see cref="LoadTime"/>, bursts of visitors arrive (until <see cref="ArrivalsEnd"/>, so the line
/// can drain): patient ones poll the JSON status until admitted, browse a few pages and stop
/// (their slots expire idle), quitters stop polling while queued (they lose their place), no-shows
/// never claim their release (it expires). Short WR_* times make every expiry and promotion happen
/// many times a minute. All the while the store is read directly every 20 ms; half-way the admin
/// API changes a room on one instance and every instance must follow (the shared-state sync) and
/// every instance's metrics are read; at the end the admin API drains, resets, resumes and
/// releases, and every instance's counts and metrics must match the store's.
/// </summary>
internal sealed class SoakScenario : IDisposable
{
    public static readonly TimeSpan LoadTime = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan ArrivalsEnd = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan s_burstEvery = TimeSpan.FromSeconds(7);
    private static readonly TimeSpan s_sampleEvery = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan s_settleLimit = TimeSpan.FromSeconds(15);
    private const double ActiveTtl = 1.5;
    private const double QueueTtl = 3;
    private const double AdmissionWindow = 1.5;
    private const double ReleaseInterval = 0.25;
    private const string AdminToken = "soak-admin-token-0123456789abcdef";
    private const string CookieName = "wr_token";

    /// <summary>The rooms: different capacities, so a room's capacity cannot hide behind the other's.</summary>
    public static readonly SoakRoom[] Rooms = [new("default", "/", 12, 40), new("sale", "/sale", 9, 28)];

    private readonly Stopwatch _clock = new();
    private readonly ConcurrentBag<SoakVisitor> _visitors = [];
    private readonly Dictionary<string, RoomSamples> _samples = Rooms.ToDictionary(r => r.Name, r => new RoomSamples(r.Capacity), StringComparer.Ordinal);
    private readonly List<string> _failures = [];
    private readonly StringBuilder _report = new();
    private readonly IDatabase _store;
    private readonly string _prefix;
    private readonly IDictionary<string, string> _redisVariables;
    private readonly ITestOutputHelper _output;
    private RoundRobin _balancer = null!;
    private List<AppProcess> _instances = [];

    private SoakScenario(IDatabase store, string prefix, IDictionary<string, string> redisVariables, ITestOutputHelper output)
    {
        _store = store;
        _prefix = prefix;
        _redisVariables = redisVariables;
        _output = output;
    }

    private double Now => _clock.Elapsed.TotalSeconds;

    /// <summary>
    /// Runs the soak against the store the variables point at (<paramref name="store"/> is a
    /// connection of the test's own to read it directly) and asserts every invariant.
    /// </summary>
    public static async Task RunAsync(string layout, IConnectionMultiplexer store, IDictionary<string, string> redisVariables, ITestOutputHelper output)
    {
        var prefix = RedisServer.NewPrefix();
        using var scenario = new SoakScenario(store.GetDatabase(), prefix, redisVariables, output);
        await scenario.RunAsync(layout);
    }

    public void Dispose() => _balancer?.Dispose();

    private async Task RunAsync(string layout)
    {
        await using var backend = await TestBackend.StartAsync();
        var roomsFile = Path.Combine(Path.GetTempPath(), $"wr-soak-rooms-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(roomsFile, $$"""{"rooms":[{"name":"sale","path":"/sale","maxActive":{{Rooms[1].Capacity}}}]}""");
        var variables = new Dictionary<string, string>(_redisVariables)
        {
            ["WR_REDIS_KEY_PREFIX"] = _prefix,
            ["WR_BACKEND_URL"] = backend.Address.ToString(),
            ["WR_SECRET"] = "soak-secret-0123456789abcdef0123",
            ["WR_MAX_ACTIVE"] = Rooms[0].Capacity.ToString(CultureInfo.InvariantCulture),
            ["WR_ACTIVE_TTL"] = ActiveTtl.ToString(CultureInfo.InvariantCulture),
            ["WR_QUEUE_TTL"] = QueueTtl.ToString(CultureInfo.InvariantCulture),
            ["WR_ADMISSION_WINDOW"] = AdmissionWindow.ToString(CultureInfo.InvariantCulture),
            ["WR_RELEASE_INTERVAL"] = ReleaseInterval.ToString(CultureInfo.InvariantCulture),
            ["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0",
            ["WR_ADMIN_TOKEN"] = AdminToken,
            ["WR_ROOMS_FILE"] = roomsFile,
            ["WR_COOKIE_NAME"] = CookieName,

            // One JSON line per request to stdout costs CPU the two cores need for the load.
            ["Serilog__MinimumLevel__Default"] = "Warning",
        };

        try
        {
            var startup = Stopwatch.StartNew();
            var starting = Enumerable.Range(0, 3).Select(_ => AppProcess.StartAsync(variables, readyWithin: TimeSpan.FromSeconds(40))).ToList();
            try
            {
                await Task.WhenAll(starting);
            }
            finally
            {
                _instances = [.. starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result)];
            }

            _report.AppendLine(CultureInfo.InvariantCulture, $"{layout}: 3 instances up in {startup.Elapsed.TotalSeconds:F1} s");
            _balancer = new RoundRobin(_instances.Select(i => i.Address), CookieName);
            await LoadAsync();
            await SettleAsync();
            await CheckTotalsAsync();
            await OperateAsync();
            Summarise(layout);
        }
        finally
        {
            _balancer?.Dispose();
            foreach (var instance in _instances)
            {
                instance.Dispose();
            }

            File.Delete(roomsFile);
        }

        _output.WriteLine(_report.ToString());
        if (_failures.Count > 0)
        {
            var logs = string.Join("\n", _instances.Select((instance, i) => $"--- instance {i}:\n{instance.Output}"));
            Assert.Fail(string.Join("\n", _failures.Take(30)) + "\n\n" + _report + "\n" + logs);
        }
    }

    /// <summary>The minute of load, with the store sampled throughout and the shared-state check half-way.</summary>
    private async Task LoadAsync()
    {
        using var end = new CancellationTokenSource();
        using var sampling = new CancellationTokenSource();
        _clock.Start();
        end.CancelAfter(LoadTime);
        var sampler = SampleAsync(sampling.Token);
        var visits = new List<Task>();
        var midway = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(25));
            await CheckSharedStateAsync();
            await CheckMetricsAsync();
        });

        var number = 0;
        for (var burst = TimeSpan.Zero; burst < ArrivalsEnd; burst += s_burstEvery)
        {
            await DelayUntil(burst);
            foreach (var room in Rooms)
            {
                for (var i = 0; i < room.Burst; i++)
                {
                    var visitor = new SoakVisitor(number, room, (number % 10) switch { < 7 => SoakVisitorKind.Patient, < 9 => SoakVisitorKind.Quitter, _ => SoakVisitorKind.NoShow });
                    number++;
                    _visitors.Add(visitor);
                    visits.Add(VisitAsync(visitor, end.Token));
                }
            }
        }

        // Every visitor ends by itself once the line has drained; those still going at LoadTime are cut off.
        // The store is sampled for the whole minute.
        await Task.WhenAll(visits);
        var drained = _clock.Elapsed.TotalSeconds;
        await midway;
        await DelayUntil(LoadTime);
        var elapsed = _clock.Elapsed.TotalSeconds;
        _report.AppendLine(CultureInfo.InvariantCulture,
            $"load: {_balancer.Requests} requests in {elapsed:F1} s = {_balancer.Requests / elapsed:F0} requests/s ({_balancer.Requests / drained:F0} requests/s until the last visitor was done at {drained:F1} s); " +
            $"{_visitors.Count(v => v.CutOff)} visitors cut off at {LoadTime.TotalSeconds:F0} s");
        await sampling.CancelAsync();
        await sampler;
    }

    private async Task DelayUntil(TimeSpan at)
    {
        var wait = at - _clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }

    private async Task VisitAsync(SoakVisitor visitor, CancellationToken end)
    {
        await Task.Yield();
        try
        {
            await VisitUntilDoneAsync(visitor, new Random(visitor.Number), end);
        }
        catch (OperationCanceledException) when (end.IsCancellationRequested)
        {
            visitor.CutOff = true;
        }
    }

    private async Task VisitUntilDoneAsync(SoakVisitor visitor, Random random, CancellationToken end)
    {
        var page = visitor.Room.Page(visitor.Number);
        visitor.ArrivalSent = Now;
        var arrival = await _balancer.GetAsync(page, null, end);
        visitor.ArrivalReceived = Now;
        visitor.Token = arrival.SetToken;
        if (visitor.Token is null)
        {
            visitor.Anomaly($"arrival answered {arrival.Status} without a cookie");
            return;
        }

        if (arrival.FromBackend)
        {
            visitor.AdmittedOnArrival = true;
            visitor.FirstAdmitted = visitor.ArrivalReceived;
            await BrowseAsync(visitor, page, random, end);
            return;
        }

        if (arrival.State != "queued")
        {
            visitor.Anomaly($"arrival answered {arrival.Status} {arrival.Body}");
            return;
        }

        visitor.QueuedOnArrival = true;
        visitor.LastQueuedSent = visitor.ArrivalSent;
        var position = arrival.Position;
        var previousSent = visitor.ArrivalSent;
        var pollsBeforeQuitting = visitor.Kind == SoakVisitorKind.Quitter ? random.Next(1, 4) : int.MaxValue;
        for (var polls = 0; polls < pollsBeforeQuitting; polls++)
        {
            await Task.Delay(TimeSpan.FromSeconds(0.2 + (random.NextDouble() * 0.15)), end);
            var sent = Now;
            var status = await _balancer.GetAsync(visitor.Room.Status, visitor.Token, end);
            var received = Now;
            visitor.LongestGap = Math.Max(visitor.LongestGap, received - previousSent);
            previousSent = sent;
            switch (status.State)
            {
                case "queued":
                    if (status.Position > position)
                    {
                        visitor.PositionRises++;
                        visitor.Anomaly($"position rose from {position} to {status.Position}");
                    }

                    position = status.Position;
                    visitor.LastQueuedSent = sent;
                    break;
                case "released":
                    visitor.FirstAdmitted ??= received;
                    if (visitor.Kind == SoakVisitorKind.NoShow)
                    {
                        return;
                    }

                    var claim = await _balancer.GetAsync(page, visitor.Token, end);
                    if (!claim.FromBackend)
                    {
                        visitor.Anomaly($"released, but its page answered {claim.Status} {claim.Body}");
                        return;
                    }

                    await BrowseAsync(visitor, page, random, end);
                    return;
                case "active":
                    visitor.Anomaly("a poll answered active before the visitor claimed its release");
                    return;
                case "unknown":
                    // Only a visitor that went a whole queue TTL without a poll may lose its place.
                    if (visitor.LongestGap < QueueTtl)
                    {
                        visitor.Anomaly($"lost its place while polling (longest gap {visitor.LongestGap:F2} s)");
                    }

                    return;
                default:
                    visitor.Anomaly($"poll answered {status.Status} {status.Body}");
                    break;
            }
        }
    }

    /// <summary>An admitted visitor: 3–8 pages 0.15 s apart, each of which must reach the backend; then it stops.</summary>
    private async Task BrowseAsync(SoakVisitor visitor, string page, Random random, CancellationToken end)
    {
        visitor.ReachedBackend = true;
        var pages = random.Next(3, 9);
        for (var i = 0; i < pages; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(0.15), end);
            var answer = await _balancer.GetAsync(page, visitor.Token, end);
            if (!answer.FromBackend)
            {
                visitor.Anomaly($"admitted, but page {i + 2} answered {answer.Status} {answer.Body}");
                return;
            }
        }
    }

    /// <summary>
    /// Reads each room's sets straight from the store every 20 ms, in one script per room (so the
    /// numbers are of one instant): active + released against the capacity; any visitor in two of
    /// active, released and queue at once; and every active visitor's admission time (the
    /// <c>since</c> set), to see each admission and whether one visitor is admitted twice. An
    /// active record lives at least WR_ACTIVE_TTL (1.5 s), so no admission falls between samples.
    /// </summary>
    private async Task SampleAsync(CancellationToken stop)
    {
        const string script = """
            local a = redis.call('ZRANGE', KEYS[1], 0, -1)
            local r = redis.call('ZRANGE', KEYS[2], 0, -1)
            local both = 0
            for i = 1, #a do
              if redis.call('ZSCORE', KEYS[2], a[i]) or redis.call('ZSCORE', KEYS[3], a[i]) then both = both + 1 end
            end
            for i = 1, #r do
              if redis.call('ZSCORE', KEYS[3], r[i]) then both = both + 1 end
            end
            local out = {#a, #r, both}
            local since = redis.call('ZRANGE', KEYS[4], 0, -1, 'WITHSCORES')
            for i = 1, #since do out[#out + 1] = since[i] end
            return out
            """;
        var keys = Rooms.ToDictionary(r => r.Name, r => new RoomKeys(_prefix, r.Name), StringComparer.Ordinal);
        while (!stop.IsCancellationRequested)
        {
            foreach (var room in Rooms)
            {
                var k = keys[room.Name];
                RedisResult[] result;
                try
                {
                    result = (RedisResult[])(await _store.ScriptEvaluateAsync(script, [k.Active, k.Released, k.Queue, k.Since]))!;
                }
                catch (RedisException ex)
                {
                    _samples[room.Name].Errors++;
                    Fail($"the test could not read room {room.Name}: {ex.Message}");
                    continue;
                }

                var samples = _samples[room.Name];
                var used = (long)result[0] + (long)result[1];
                samples.Count++;
                samples.MaxUsed = Math.Max(samples.MaxUsed, used);
                if (used > room.Capacity)
                {
                    Fail($"room {room.Name}: active {(long)result[0]} + released {(long)result[1]} > capacity {room.Capacity} at {Now:F2} s");
                }

                if ((long)result[2] > 0)
                {
                    Fail($"room {room.Name}: {(long)result[2]} visitors in two sets at once at {Now:F2} s");
                }

                for (var i = 3; i + 1 < result.Length; i += 2)
                {
                    var admissions = samples.Admissions.GetOrAdd((string)result[i]!, _ => new ConcurrentDictionary<string, bool>(StringComparer.Ordinal));
                    admissions[(string)result[i + 1]!] = true;
                }
            }

            try
            {
                await Task.Delay(s_sampleEvery, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>
    /// Half-way: a change through the admin API of one instance reaches every instance through
    /// the store (the shared-state sync), within a few release intervals.
    /// </summary>
    private async Task CheckSharedStateAsync()
    {
        var message = "soak " + Guid.NewGuid().ToString("N")[..8];
        using var first = new AdminClient(_instances[0].Address, AdminToken);
        var (status, _, _) = await first.PatchAsync("/_wr/admin/rooms/sale", $$"""{"message":"{{message}}"}""");
        if (status != HttpStatusCode.OK)
        {
            Fail($"PATCH of room sale answered {(int)status}");
            return;
        }

        var changed = Stopwatch.StartNew();
        for (var i = 0; i < _instances.Count; i++)
        {
            using var admin = new AdminClient(_instances[i].Address, AdminToken);
            while ((await admin.RoomAsync("sale")).GetProperty("message").GetString() != message)
            {
                if (changed.Elapsed > TimeSpan.FromSeconds(10))
                {
                    Fail($"instance {i} did not show the changed message of room sale within 10 s");
                    return;
                }

                await Task.Delay(50);
            }
        }

        _report.AppendLine(CultureInfo.InvariantCulture, $"shared state: a PATCH on instance 0 showed on all 3 instances after {changed.Elapsed.TotalSeconds:F2} s");
    }

    /// <summary>Every instance serves its metrics, with both rooms' capacities and store gauges.</summary>
    private async Task CheckMetricsAsync()
    {
        foreach (var (metrics, i) in (await MetricsAsync()).Select((m, i) => (m, i)))
        {
            foreach (var room in Rooms)
            {
                if (!metrics.TryValue("wr_capacity", out var capacity, ("room", room.Name)) || capacity != room.Capacity ||
                    !metrics.TryValue("wr_active", out _, ("room", room.Name)) || !metrics.TryValue("wr_queued", out _, ("room", room.Name)))
                {
                    Fail($"instance {i}'s metrics lack room {room.Name}'s capacity {room.Capacity}, wr_active or wr_queued");
                }
            }
        }
    }

    private async Task<List<PrometheusText>> MetricsAsync()
    {
        var all = new List<PrometheusText>();
        foreach (var instance in _instances)
        {
            using var client = new HttpClient { BaseAddress = instance.Address };
            all.Add(PrometheusText.Parse(await client.GetStringAsync("/_wr/metrics")));
        }

        return all;
    }

    /// <summary>After the load everyone has stopped: the store empties by itself (idle slots, unclaimed releases and silent waiters all expire).</summary>
    private async Task SettleAsync()
    {
        var clock = Stopwatch.StartNew();
        foreach (var room in Rooms)
        {
            var keys = new RoomKeys(_prefix, room.Name);
            while (true)
            {
                var left = await _store.SortedSetLengthAsync(keys.Active) + await _store.SortedSetLengthAsync(keys.Released) + await _store.SortedSetLengthAsync(keys.Queue);
                if (left == 0)
                {
                    break;
                }

                if (clock.Elapsed > s_settleLimit)
                {
                    Fail($"room {room.Name} still holds {left} visitors {s_settleLimit.TotalSeconds} s after the load");
                    break;
                }

                await Task.Delay(100);
            }
        }

        _report.AppendLine(CultureInfo.InvariantCulture, $"store empty {clock.Elapsed.TotalSeconds:F1} s after the load");
    }

    /// <summary>
    /// Every instance's admin API shows the store's numbers, and the instances' counters add up to
    /// the store's totals (each promotion and direct admission counted once, by the instance that made it).
    /// </summary>
    private async Task CheckTotalsAsync()
    {
        var metrics = await MetricsAsync();
        foreach (var room in Rooms)
        {
            var keys = new RoomKeys(_prefix, room.Name);
            var promoted = (long)await _store.StringGetAsync(keys.Promoted);
            var admitted = (long)await _store.StringGetAsync(keys.Admitted);
            for (var i = 0; i < _instances.Count; i++)
            {
                using var admin = new AdminClient(_instances[i].Address, AdminToken);
                var json = await admin.RoomAsync(room.Name);
                var seen = (json.GetProperty("active").GetInt64(), json.GetProperty("released").GetInt64(), json.GetProperty("queued").GetInt64(),
                    json.GetProperty("promotedTotal").GetInt64(), json.GetProperty("admittedTotal").GetInt64());
                if (seen != (0, 0, 0, promoted, admitted))
                {
                    Fail($"instance {i}'s admin API shows room {room.Name} as {seen}, the store as {(0, 0, 0, promoted, admitted)}");
                }
            }

            var promotedByInstances = metrics.Sum(m => m.TryValue("wr_promoted_total", out var v, ("room", room.Name)) ? v : 0);
            var admittedByInstances = metrics.Sum(m => m.TryValue("wr_admitted_total", out var v, ("room", room.Name)) ? v : 0);
            var expiredActive = metrics.Sum(m => m.TryValue("wr_expired_total", out var v, ("room", room.Name), ("reason", "active")) ? v : 0);
            var expiredUnclaimed = metrics.Sum(m => m.TryValue("wr_expired_total", out var v, ("room", room.Name), ("reason", "unclaimed")) ? v : 0);
            var abandoned = metrics.Sum(m => m.TryValue("wr_abandoned_total", out var v, ("room", room.Name)) ? v : 0);
            if (promotedByInstances != promoted || admittedByInstances != admitted)
            {
                Fail($"room {room.Name}: the instances' wr_promoted_total/wr_admitted_total add up to {promotedByInstances}/{admittedByInstances}, the store's totals are {promoted}/{admitted}");
            }

            if (expiredActive == 0 || expiredUnclaimed == 0 || abandoned == 0 || promoted == 0)
            {
                Fail($"room {room.Name}: every kind of expiry and promotion must have happened (idle {expiredActive}, unclaimed {expiredUnclaimed}, abandoned {abandoned}, promoted {promoted})");
            }

            _samples[room.Name].Totals = $"admitted directly {admitted}, promoted {promoted}, expired idle {expiredActive}, expired unclaimed {expiredUnclaimed}, abandoned in the queue {abandoned}";
        }
    }

    /// <summary>
    /// The admin API on the store after the load: drain the default room (newcomers queue even
    /// though it is empty), every instance counts the waiters, reset empties the line, resume lets
    /// the next newcomer in, and release ends that visitor's session in the store.
    /// </summary>
    private async Task OperateAsync()
    {
        var keys = new RoomKeys(_prefix, "default");
        using var first = new AdminClient(_instances[0].Address, AdminToken);
        using var second = new AdminClient(_instances[1].Address, AdminToken);
        using var third = new AdminClient(_instances[2].Address, AdminToken);
        Expect((await first.PostAsync("/_wr/admin/rooms/default/drain")).Status == HttpStatusCode.OK, "drain answered OK");
        await WaitForAllAsync(room => room.GetProperty("draining").GetBoolean(), "to show the room draining");

        for (var i = 0; i < 3; i++)
        {
            var answer = await _balancer.GetAsync("/page/drained", null, CancellationToken.None);
            Expect(answer.State == "queued", $"a newcomer while draining was answered {answer.Status} {answer.Body}, not queued");
        }

        await WaitForAllAsync(room => room.GetProperty("queued").GetInt64() == 3, "to count 3 waiters");
        var (resetStatus, reset, _) = await third.PostAsync("/_wr/admin/rooms/default/reset?confirm=true");
        Expect(resetStatus == HttpStatusCode.OK && reset.GetProperty("removed").GetInt64() == 3, $"reset answered {(int)resetStatus} {reset}, not 3 removed");
        Expect(await _store.SortedSetLengthAsync(keys.Queue) == 0, "the queue is empty in the store after the reset");

        Expect((await first.PostAsync("/_wr/admin/rooms/default/resume")).Status == HttpStatusCode.OK, "resume answered OK");
        await WaitForAllAsync(room => !room.GetProperty("draining").GetBoolean(), "to show the room resumed");
        var newcomer = await _balancer.GetAsync("/page/after-resume", null, CancellationToken.None);
        Expect(newcomer.FromBackend && newcomer.SetToken is not null, $"the newcomer after resume was answered {newcomer.Status} {newcomer.Body}");
        if (newcomer.SetToken is { } token)
        {
            var id = token.Split('.')[0];
            Expect(await _store.SortedSetScoreAsync(keys.Active, id) is not null, "the admitted newcomer is active in the store");
            var (releaseStatus, _, _) = await second.PostAsync("/_wr/admin/rooms/default/release", $$"""{"token":"{{token}}"}""");
            Expect(releaseStatus == HttpStatusCode.OK, $"release answered {(int)releaseStatus}");
            Expect(await _store.SortedSetScoreAsync(keys.Active, id) is null, "the released visitor is no longer active in the store");
        }

        _report.AppendLine("admin: drain, 3 queued while draining, counts on every instance, reset removed 3, resume, release: as expected");
    }

    private async Task WaitForAllAsync(Func<System.Text.Json.JsonElement, bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < _instances.Count; i++)
        {
            using var admin = new AdminClient(_instances[i].Address, AdminToken);
            while (!condition(await admin.RoomAsync("default")))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(10))
                {
                    Fail($"instance {i} did not come {what} within 10 s");
                    return;
                }

                await Task.Delay(50);
            }
        }
    }

    /// <summary>
    /// The invariants over what the visitors saw, and the report.
    /// <para>FIFO, defined on the client's clock: visitor A is ahead of B (same room) when A's
    /// arrival was answered "queued" before B's arrival was sent, so A holds the smaller ticket
    /// and is in the line when B comes. If A kept polling (see <see cref="SoakVisitor.KeptPolling"/>),
    /// no B may be admitted before A: an inversion is B's admission (its arrival forwarded, or a
    /// poll answered released) received before a request of A was sent that was still answered
    /// queued. Liveness: every visitor that kept polling was admitted (patient) or released
    /// (no-show) before the load ended.</para>
    /// </summary>
    private void Summarise(string layout)
    {
        var visitors = _visitors.OrderBy(v => v.Number).ToList();
        var keptPolling = visitors.Where(v => v.KeptPolling(QueueTtl)).ToList();
        var queuedPolling = visitors.Where(v => v.QueuedOnArrival && v.Kind != SoakVisitorKind.Quitter).ToList();

        foreach (var anomaly in visitors.SelectMany(v => v.Anomalies))
        {
            Fail(anomaly);
        }

        var inversions = 0;
        foreach (var a in keptPolling)
        {
            foreach (var b in visitors)
            {
                if (b.Room == a.Room && b.ArrivalSent > a.ArrivalReceived && b.FirstAdmitted is { } admitted && admitted < a.LastQueuedSent)
                {
                    inversions++;
                    Fail($"FIFO inverted in room {a.Room.Name}: visitor {b.Number} (arrived {b.ArrivalSent:F2} s) admitted at {admitted:F2} s while visitor {a.Number} (queued at {a.ArrivalReceived:F2} s) was still answered queued at {a.LastQueuedSent:F2} s");
                }
            }
        }

        foreach (var v in keptPolling.Where(v => v.FirstAdmitted is null))
        {
            Fail($"liveness: visitor {v.Number} ({v.Kind}, room {v.Room.Name}, arrived {v.ArrivalSent:F2} s) kept polling and was not admitted before the end");
        }

        // Polling is the client's job: one that was starved of CPU for a whole queue TTL did not keep polling, and leaves the FIFO
        // and liveness sets. It must stay rare, or the test would prove little.
        var starved = queuedPolling.Count - keptPolling.Count;
        if (starved > Math.Max(2, queuedPolling.Count / 50))
        {
            Fail($"{starved} of {queuedPolling.Count} polling visitors went longer than the queue TTL between polls (machine too busy for the soak to prove FIFO)");
        }

        foreach (var room in Rooms)
        {
            var samples = _samples[room.Name];
            var twice = samples.Admissions.Where(a => a.Value.Count > 1).ToList();
            foreach (var (id, times) in twice)
            {
                Fail($"room {room.Name}: visitor {id} admitted {times.Count} times (at {string.Join(", ", times.Keys)})");
            }

            var ours = visitors.Where(v => v.Room == room && v.Id is not null).ToDictionary(v => v.Id!, StringComparer.Ordinal);
            var reached = visitors.Where(v => v.Room == room && v.ReachedBackend).ToList();
            var unseen = reached.Count(v => !samples.Admissions.ContainsKey(v.Id!));
            if (unseen > 0)
            {
                Fail($"room {room.Name}: {unseen} visitors reached the backend but the store sampler never saw them active");
            }

            var strangers = samples.Admissions.Keys.Count(id => !ours.ContainsKey(id));
            Expect(samples.Count > 1000, $"room {room.Name}: the store was sampled {samples.Count} times");

            var roomVisitors = visitors.Where(v => v.Room == room).ToList();
            _report.AppendLine(CultureInfo.InvariantCulture,
                $"room {room.Name} (capacity {room.Capacity}): arrivals {roomVisitors.Count} ({roomVisitors.Count(v => v.Kind == SoakVisitorKind.Patient)} patient, " +
                $"{roomVisitors.Count(v => v.Kind == SoakVisitorKind.Quitter)} quitters, {roomVisitors.Count(v => v.Kind == SoakVisitorKind.NoShow)} no-shows), " +
                $"queued on arrival {roomVisitors.Count(v => v.QueuedOnArrival)}, reached the backend {reached.Count}, admissions seen in the store {samples.Admissions.Count} " +
                $"(none twice: {twice.Count == 0}, {strangers} not ours), max active+released {samples.MaxUsed} of {room.Capacity} over {samples.Count} samples; {samples.Totals}");
        }

        _report.AppendLine(CultureInfo.InvariantCulture,
            $"FIFO: {keptPolling.Count} visitors kept polling ({starved} starved excluded), {inversions} inversions, {keptPolling.Count(v => v.FirstAdmitted is null)} not admitted, " +
            $"{visitors.Sum(v => v.PositionRises)} position rises; longest poll gap {visitors.Where(v => v.QueuedOnArrival).Select(v => v.LongestGap).DefaultIfEmpty().Max():F2} s");
        _report.AppendLine(CultureInfo.InvariantCulture, $"{layout}: {_balancer.ServerErrors} answers 5xx, {_balancer.TransportErrors} without an answer");
        if (_balancer.ServerErrors > 0 || _balancer.TransportErrors > 0)
        {
            Fail($"{_balancer.ServerErrors} answers 5xx and {_balancer.TransportErrors} requests without an answer: {string.Join(" | ", _balancer.Errors)}");
        }
    }

    private void Expect(bool condition, string what)
    {
        if (!condition)
        {
            Fail(what);
        }
    }

    private void Fail(string failure)
    {
        lock (_failures)
        {
            _failures.Add(failure);
        }
    }

    /// <summary>What the sampler saw of one room.</summary>
    private sealed class RoomSamples(int capacity)
    {
        public int Capacity { get; } = capacity;

        public long Count { get; set; }

        public long MaxUsed { get; set; }

        public long Errors { get; set; }

        public string Totals { get; set; } = "";

        /// <summary>Visitor id → every admission time (the since score) seen for it.</summary>
        public ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> Admissions { get; } = new(StringComparer.Ordinal);
    }
}
