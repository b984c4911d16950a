using System.Diagnostics;
using System.Globalization;
using WaitingRoom.Tests.Infrastructure;
using WaitingRoom.Tests.ScaleOut;
using Xunit;
using Xunit.Abstractions;

namespace WaitingRoom.Tests.Adaptive;

/// <summary>
/// The adaptive capacity with real processes on loopback: the built app (1 or 3 instances) on one
/// redis-server, a crowd that browses through a client-side round-robin, and an origin whose latency
/// grows steeply past K requests in flight (<see cref="KneeOrigin"/>, K changed while it runs).
/// </summary>
/// <remarks>
/// The reference capacity is the most visitors that keep the origin's p95 under the target T,
/// measured by <see cref="OriginCalibration"/> before the run: with K workers of S seconds each and
/// a think time Z, C visitors hold the origin's mean latency at C·S/K − Z, so the formula
/// K·(T + Z)/S (120 visitors at K = 4, 60 at K = 2 with S = 50 ms) holds the mean, not the p95, at T. The capacity
/// must settle within ±20 % of the measured reference.
/// </remarks>
public sealed class AdaptiveCapacityTests(ITestOutputHelper output)
{
    private const double Target = 0.5;
    private const double Think = 1.0;
    private const int ActiveTtl = 8;

    /// <summary>
    /// The settling runs: an origin of 50 ms a request, so the reference is about 110 visitors at
    /// K = 4 and 55 at K = 2 (±20 % is 11–22 visitors, not 5), one interval's window holds 40–80
    /// requests, and the origin's latency past its knee moves by S/K a visitor (12.5–25 ms).
    /// </summary>
    private static readonly Load Settling = new(ServiceTime: 0.05, Crowd: 180, Min: 20, Max: 300, Calibrated: true);

    /// <summary>The 503 run: 100 ms a request, as before the settling runs moved to 50 ms.</summary>
    private static readonly Load Outage = new(ServiceTime: 0.1, Crowd: 110, Min: 5, Max: 150, Calibrated: false);

    [Fact]
    public async Task OneInstance_SettlesNearTheReferenceFollowsKHalvingAndRecovers()
    {
        await using var run = await Run.StartAsync(instances: 1, output, Settling);
        await run.SettleFollowAndRecoverAsync("one-instance");
    }

    [Fact]
    public async Task ThreeInstances_SettleNearTheReferenceFollowKHalvingAndRecover()
    {
        await using var run = await Run.StartAsync(instances: 3, output, Settling);
        await run.SettleFollowAndRecoverAsync("three-instances");
    }

    [Fact]
    public async Task OriginAnswers503_NewcomersStopWithinOneIntervalPlacesAreKeptAndTheRoomRecovers()
    {
        // Visits of about 20 s: visitors let in before the failure still browse when the origin heals,
        // so the room sees it heal from their requests (with nobody browsing it probes, see CapacityController.ProbeAfter).
        await using var run = await Run.StartAsync(instances: 1, output, Outage, pages: 20);
        await run.UntilAsync(30);
        var before = run.Trace.Between(25, 30).Average(s => s.Capacity);

        // Act: the origin answers 503 for 10 s.
        run.Origin.Failing = true;
        var failedAt = run.Now;
        await run.UntilAsync(40);
        var lastAdmissionSent = run.Crowd.LastAdmissionSentAt;
        var letInWhileFailing = run.Trace.Between(failedAt + 1.5, 40).Select(s => s.LetIn).Distinct().Count();
        run.Origin.Failing = false;
        var healedAt = run.Now;
        await run.UntilAsync(65);
        await run.StopAsync("origin-503");

        // Assert: nobody new after one interval (1 s) and the time the store step takes.
        output.WriteLine($"failed at {failedAt:F2} s; last newcomer's request sent at {lastAdmissionSent:F2} s before healing");
        Assert.True(lastAdmissionSent <= failedAt + 1.25, $"a newcomer was let in {lastAdmissionSent - failedAt:F2} s after the origin began to fail");
        Assert.All(run.Trace.Between(failedAt + 1.25, 40), s => Assert.True(s.Hold, $"not holding at {s.Time:F1} s while the origin failed"));
        Assert.Equal(1, letInWhileFailing);
        var resumed = run.Trace.Samples.First(s => s.Time > healedAt && !s.Hold).Time;
        Assert.True(resumed - healedAt <= 2.5, $"resumed {resumed - healedAt:F1} s after the origin healed");
        // Visitors who left while it failed got no release from the origin: their slots free at
        // WR_ACTIVE_TTL, then the line moves again.
        var healedLetIn = run.Trace.Samples.First(s => s.Time >= healedAt).LetIn;
        var movedAt = run.Trace.Samples.First(s => s.Time > healedAt && s.LetIn > healedLetIn).Time;
        output.WriteLine($"healed at {healedAt:F2} s, resumed at {resumed:F2} s, newcomers let in again at {movedAt:F2} s");
        Assert.True(movedAt - healedAt <= ActiveTtl + 4, $"newcomers let in again only {movedAt - healedAt:F1} s after the origin healed");
        var after = run.Trace.Between(60, 65).Average(s => s.Capacity);
        Assert.True(after >= before * 0.8, $"capacity {after:F0} 20 s after healing, {before:F0} before the failure");
        run.AssertInvariants(minAdmissions: 50);
    }

    /// <summary>
    /// What a run puts on the origin: its service time S (seconds a request per worker), the crowd's
    /// size, the room's bounds (WR_MIN_ACTIVE, WR_MAX_ACTIVE), and whether the references are
    /// measured before it (<see cref="OriginCalibration"/>).
    /// </summary>
    private sealed record Load(double ServiceTime, int Crowd, int Min, int Max, bool Calibrated);

    /// <summary>One run: origin, instances, crowd and trace, all started together and stopped together.</summary>
    private sealed class Run : IAsyncDisposable
    {
        private readonly ITestOutputHelper _output;
        private readonly List<AppProcess> _instances;
        private readonly RoundRobin _balancer;
        private readonly CancellationTokenSource _stop = new();
        private readonly Stopwatch _clock;
        private readonly Task _crowdRun;
        private readonly Task _traceRun;
        private bool _stopped;

        private readonly Dictionary<int, int> _references;
        private readonly Load _load;

        private Run(ITestOutputHelper output, KneeOrigin origin, List<AppProcess> instances, Stopwatch clock, string prefix, Load load, Dictionary<int, int> references, int pages)
        {
            _output = output;
            _load = load;
            _references = references;
            Origin = origin;
            _instances = instances;
            _clock = clock;
            _balancer = new RoundRobin(instances.Select(i => i.Address), "wr_token");
            Crowd = new BrowsingCrowd(_balancer, clock) { Pages = pages, ThinkMin = TimeSpan.FromSeconds(Think - 0.2), ThinkMax = TimeSpan.FromSeconds(Think + 0.2) };
            Trace = new CapacityTrace(RedisServer.Shared.Connection.GetDatabase(), prefix, origin, clock, load.Min);
            _traceRun = Trace.RunAsync(_stop.Token);
            _crowdRun = Crowd.RunAsync(load.Crowd, _stop.Token);
        }

        public KneeOrigin Origin { get; }

        public BrowsingCrowd Crowd { get; }

        public CapacityTrace Trace { get; }

        public double Now => _clock.Elapsed.TotalSeconds;

        /// <summary>The measured reference for K = <paramref name="workers"/> (see <see cref="OriginCalibration"/>).</summary>
        public double Reference(int workers) => _references[workers];

        public static async Task<Run> StartAsync(int instances, ITestOutputHelper output, Load load, int pages = 10)
        {
            var references = new Dictionary<int, int>();
            foreach (var workers in load.Calibrated ? new[] { 4, 2 } : [])
            {
                var calibrating = Stopwatch.StartNew();
                references[workers] = await OriginCalibration.ReferenceAsync(workers, TimeSpan.FromSeconds(load.ServiceTime), Target, Think - 0.2, Think + 0.2);
                output.WriteLine($"reference at K = {workers}: {references[workers]} visitors keep the origin's p95 under {Target} s (the formula K·(T + Z)/S gives {workers * (Target + Think) / load.ServiceTime:F0}; {calibrating.Elapsed.TotalSeconds:F1} s, 0 when measured by an earlier test)");
            }

            var origin = await KneeOrigin.StartAsync(4, TimeSpan.FromSeconds(load.ServiceTime));
            var prefix = RedisServer.NewPrefix();
            var variables = new Dictionary<string, string>
            {
                ["WR_REDIS_HOST"] = RedisServer.Shared.Host,
                ["WR_REDIS_PORT"] = RedisServer.Shared.Port.ToString(CultureInfo.InvariantCulture),
                ["WR_REDIS_KEY_PREFIX"] = prefix,
                ["WR_BACKEND_URL"] = origin.Address.ToString(),
                ["WR_SECRET"] = "adaptive-secret-0123456789abcdef",
                ["WR_ADAPTIVE"] = "on",
                ["WR_MIN_ACTIVE"] = load.Min.ToString(CultureInfo.InvariantCulture),
                ["WR_MAX_ACTIVE"] = load.Max.ToString(CultureInfo.InvariantCulture),
                ["WR_ADAPTIVE_TARGET_P95"] = Target.ToString(CultureInfo.InvariantCulture),
                ["WR_RELEASE_INTERVAL"] = "1",
                // Visitors send a request at least every 4 s (think time and the origin's latency), so
                // 8 s never expires one that browses, and frees the slots of those who left meanwhile.
                ["WR_ACTIVE_TTL"] = ActiveTtl.ToString(CultureInfo.InvariantCulture),
                ["WR_QUEUE_TTL"] = "60",
                ["WR_ADMISSION_WINDOW"] = "10",
                ["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0",
                ["WR_BACKEND_TIMEOUT"] = "30",

                // One JSON line per request to stdout costs CPU the two cores need for the load.
                ["Serilog__MinimumLevel__Default"] = "Warning",
            };

            var started = new List<AppProcess>();
            try
            {
                var starting = Enumerable.Range(0, instances).Select(_ => AppProcess.StartAsync(variables, readyWithin: TimeSpan.FromSeconds(60))).ToList();
                try
                {
                    await Task.WhenAll(starting);
                }
                finally
                {
                    started.AddRange(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
                }
            }
            catch
            {
                started.ForEach(i => i.Dispose());
                await origin.DisposeAsync();
                throw;
            }

            return new Run(output, origin, started, Stopwatch.StartNew(), prefix, load, references, pages);
        }

        /// <summary>Waits until <paramref name="seconds"/> on the run's clock.</summary>
        public async Task UntilAsync(double seconds)
        {
            var left = TimeSpan.FromSeconds(seconds) - _clock.Elapsed;
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left);
            }
        }

        public async Task StopAsync(string name)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            await _stop.CancelAsync();
            await Task.WhenAll(_crowdRun, _traceRun).WaitAsync(TimeSpan.FromSeconds(60));
            _output.WriteLine(Trace.Describe());
            await Trace.WriteCsvAsync(name);
            await Trace.WriteSvgAsync(name, $"Adaptive capacity, {_instances.Count} instance{(_instances.Count == 1 ? "" : "s")}: {name}", _references.Count == 0 ? null : w => Reference(w), Target);
            _output.WriteLine($"admissions {Crowd.Admissions}, requests {_balancer.Requests}, 5xx {_balancer.ServerErrors} (waiters' polls past the store's deadline {Crowd.Unavailable}), origin served {Origin.Served}, refused {Origin.Refused}");
        }

        /// <summary>
        /// The issue's run: K = 4 until 45 s, K halved until 95 s, K back to 4 until 125 s; the
        /// capacity within ±20 % of the reference for good (every sample to the end of the phase)
        /// within 35 s of the start (the issue asks 60 s), within 30 s of K halving, within 20 s of
        /// K coming back; its mean within ±20 % over each phase's last 10 s, and over the last 20 s
        /// at K = 2; the origin's p95 under the target over those 20 s; the invariants throughout.
        /// </summary>
        /// <remarks>
        /// At K = 2 the room settles 10–13 % under the reference (it cuts on one-second windows, whose
        /// p95 swings ±30 % at the knee), and one burst at the origin late in the phase (its own p95
        /// 0.63 s at a capacity it carried at 0.3–0.4 s) cut it to −19 % over a 10 s mean once in about
        /// twenty runs; the capacity grows back by one visitor every two intervals near the aim. Over
        /// 20 s such a cut weighs half as much. A controller that cut less on one window (two windows
        /// in a row, a capped first cut, no cut on a falling p95) settled no nearer the reference in the
        /// virtual-time model at this load (ClosedLoopTests) without pushing the origin's p95 over the target.
        /// </remarks>
        public async Task SettleFollowAndRecoverAsync(string name)
        {
            await UntilAsync(45);
            Origin.Workers = 2;
            await UntilAsync(95);
            Origin.Workers = 4;
            await UntilAsync(125);
            await StopAsync(name);

            // Every figure first, then the assertions: a failing run still reports all of them.
            var settled = new[]
            {
                Settled(from: 35, to: 45, Reference(4), "K = 4", changedAt: 0, within: 35),
                Settled(from: 75, to: 95, Reference(2), "K = 2", changedAt: 45, within: 30),
                Settled(from: 115, to: 125, Reference(4), "K = 4 again", changedAt: 95, within: 20),
            };
            var p95 = OriginP95(from: 75, to: 95);
            Assert.All(settled, s => Assert.True(s.Ok, s.Problem));
            Assert.True(p95 <= Target, $"the origin's median p95 is {p95:F3} s over 75–95 s, the target {Target} s");
            AssertInvariants();
        }

        /// <summary>
        /// The capacity from <paramref name="changedAt"/> to <paramref name="to"/> s against
        /// <paramref name="reference"/>: its mean over <paramref name="from"/>–<paramref name="to"/> s
        /// within ±20 %, and within ±20 % for good (every sample up to <paramref name="to"/>) at most
        /// <paramref name="within"/> s after <paramref name="changedAt"/>.
        /// </summary>
        private (bool Ok, string Problem) Settled(double from, double to, double reference, string what, double changedAt, double within)
        {
            var window = Trace.Between(from, to);
            var mean = window.Average(s => s.Capacity);
            var outside = Trace.Between(changedAt, to).LastOrDefault(s => Math.Abs(s.Capacity - reference) > reference * 0.2);
            var settled = outside is null ? 0 : outside.Time + 0.2 - changedAt;
            var text = $"{what}: capacity {window.Min(s => s.Capacity)}–{window.Max(s => s.Capacity)}, mean {mean:F1} over {from}–{to} s; reference {reference:F0} ({mean / reference - 1:+0%;-0%}); within ±20 % for good {settled:F1} s after {changedAt} s (at most {within} s)";
            _output.WriteLine(text);
            var ok = mean >= reference * 0.8 && mean <= reference * 1.2 && settled <= within;
            return (ok, text);
        }

        /// <summary>
        /// The origin's own p95 (its own measurement, arrival to answer), second by second from
        /// <paramref name="from"/> to <paramref name="to"/> s: the median second, so one stall of a
        /// machine shared with the instances does not decide.
        /// </summary>
        private double OriginP95(double from, double to)
        {
            var seconds = Trace.Between(from, to).GroupBy(s => Math.Floor(s.Time)).Select(g => g.Last().OriginP95).Order().ToList();
            var median = seconds[seconds.Count / 2];
            var under = seconds.Count(p => p <= Target) / (double)seconds.Count;
            _output.WriteLine($"origin p95 second by second over {from}–{to} s: median {median:F3} s, max {seconds[^1]:F3} s, {under:P0} of the seconds under the target {Target} s");
            return median;
        }

        public void AssertInvariants(int minAdmissions = 100)
        {
            Assert.Equal(0, Crowd.ThrownOut);
            Assert.Equal(0, Crowd.LostPlace);
            Assert.Equal(0, Crowd.PositionRises);
            Assert.Empty(Trace.AdmittedOverCapacity);
            Assert.All(Trace.Samples, s => Assert.InRange(s.Capacity, _load.Min, _load.Max));
            Assert.True(Crowd.Admissions > minAdmissions, $"only {Crowd.Admissions} visitors were let in");
            Assert.True(_balancer.TransportErrors == 0, string.Join("\n", _balancer.Errors));
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stopped)
            {
                await _stop.CancelAsync();
                await Task.WhenAny(Task.WhenAll(_crowdRun, _traceRun), Task.Delay(TimeSpan.FromSeconds(30)));
            }

            _balancer.Dispose();
            foreach (var instance in _instances)
            {
                instance.Dispose();
            }

            await Origin.DisposeAsync();
            _stop.Dispose();
        }
    }
}
