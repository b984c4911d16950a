using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Adaptive;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using Xunit;
using Xunit.Abstractions;

namespace WaitingRoom.Tests.Adaptive;

/// <summary>
/// The controller's loop with the store, in virtual time: a simulated crowd browses an origin whose
/// p95 grows steeply once more than K visitors are in, while the clock moves 100 ms at a time and
/// the service steps once a second. The capacity must settle where the p95 meets the target, follow
/// K when it halves, hold at once when the origin fails (nobody new, nobody dropped) and ramp back
/// with bounded steps when it heals.
/// </summary>
public sealed class AdaptiveCapacityServiceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_target = TimeSpan.FromSeconds(0.5);

    [Fact]
    public async Task Step_OriginWithKneeAtK_SettlesFollowsHoldsAndRecovers()
    {
        // Arrange: K = 40 visitors in → p95 0.1 s, then +20 ms per visitor: the target (0.5 s) at 60 in.
        var sim = new Simulation(knee: 40);
        await sim.ArriveAsync(400);

        try
        {
            // Act 1: settle.
            await sim.RunAsync(TimeSpan.FromSeconds(60));
            var settled = sim.Trace.Where(p => p.Time >= 40 && p.Time < 60).ToList();

            // Act 2: K halves (the target is now met at 40 in).
            sim.Knee = 20;
            await sim.RunAsync(TimeSpan.FromSeconds(30));
            var followed = sim.Trace.Where(p => p.Time >= 80 && p.Time < 90).ToList();

            // Act 3: the origin fails for 4 s.
            sim.Failing = true;
            await sim.RunAsync(TimeSpan.FromSeconds(1));
            var held = await sim.Store.GetCapacityAsync(sim.Policy, default);
            var newcomer = await sim.ArriveAsync(1);
            var keptWhileHeld = await sim.InSessionStillActiveAsync();
            await sim.RunAsync(TimeSpan.FromSeconds(3));
            var stillHeld = await sim.Store.GetCapacityAsync(sim.Policy, default);

            // Act 4: the origin heals.
            sim.Failing = false;
            var healedAt = sim.Now;
            await sim.RunAsync(TimeSpan.FromSeconds(30));
            var recovery = sim.Trace.Where(p => p.Time > healedAt).ToList();

            // Assert: settled within 10 % of 60 (virtual time, no noise), the p95 under the target on average in each phase.
            output.WriteLine(sim.Describe());
            Assert.InRange(settled.Average(p => p.Capacity), 54, 66);
            Assert.All(settled, p => Assert.InRange(p.Capacity, 48, 72));
            Assert.True(settled.Average(p => p.InSession) >= 48, $"only {settled.Average(p => p.InSession):F1} browsing on average: capacity given out but not used");
            Assert.True(settled.Average(p => p.P95) <= s_target.TotalSeconds, $"mean p95 {settled.Average(p => p.P95):F3} s after settling");
            Assert.InRange(followed.Average(p => p.Capacity), 36, 44);
            Assert.True(followed.Average(p => p.P95) <= s_target.TotalSeconds, $"mean p95 {followed.Average(p => p.P95):F3} s after following");

            Assert.True(held.Hold, "not holding one interval after the origin began to fail");
            Assert.Equal(VisitorState.Queued, newcomer.State);
            Assert.True(keptWhileHeld, "a visitor in was dropped while holding");
            Assert.True(stillHeld.Hold);

            var resumedAt = recovery.First(p => !p.Hold).Time;
            Assert.True(resumedAt - healedAt <= 1.05, $"resumed {resumedAt - healedAt} s after the origin healed");
            Assert.InRange(recovery[^1].Capacity, 34, 46);
        }
        finally
        {
            output.WriteLine(sim.Describe());
        }

        // Never outside the bounds, and no increase larger than the bounded ramp.
        Assert.All(sim.Trace, p => Assert.InRange(p.Capacity, 5, 200));
        foreach (var (before, after) in sim.Trace.Zip(sim.Trace.Skip(1)))
        {
            Assert.True(after.Capacity - before.Capacity <= Math.Max(2, Math.Ceiling(before.Capacity * CapacityController.MaxGrowth)), $"{before.Capacity} -> {after.Capacity} at {after.Time} s");
        }
    }

    [Fact]
    public async Task Step_OperatorPin_HoldsThePinnedValueAndUnpinningHandsItBack()
    {
        var sim = new Simulation(knee: 40, pinned: 17);
        await sim.ArriveAsync(100);

        await sim.RunAsync(TimeSpan.FromSeconds(10));
        var pinned = await sim.Store.GetCapacityAsync(sim.Policy, default);
        sim.Unpin();
        await sim.RunAsync(TimeSpan.FromSeconds(10));
        var unpinned = await sim.Store.GetCapacityAsync(sim.Policy, default);

        Assert.Equal((17, "operator"), (pinned.Capacity, pinned.PinnedBy));
        Assert.All(sim.Trace.Where(p => p.Time <= 10), p => Assert.Equal(17, p.Capacity));
        Assert.Null(unpinned.PinnedBy);
        Assert.True(unpinned.Capacity > 17, $"capacity {unpinned.Capacity} after unpinning a healthy room");
    }

    [Fact]
    public async Task Step_AnotherInstanceChangedItWithinThreeQuartersOfAnInterval_WaitsForTheGapThenSteps()
    {
        // Arrange: instance A has just set 40 and the room is full; instance B sees 25 % errors.
        var (clock, store, rooms, policy) = await FullRoomAt40Async();

        var measurements = new ForwardingMeasurements();
        var b = new AdaptiveCapacityService(store, rooms, measurements, new AdaptiveSignals(), clock, Options.Create(new WaitingRoomOptions { ReleaseInterval = TimeSpan.FromSeconds(1) }), NullLogger<AdaptiveCapacityService>.Instance);

        // Act
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Record(measurements.For(RoomPolicy.DefaultName), succeeded: 15, failed: 5);
        await b.RunOnceAsync(default);
        var withinGap = await store.GetCapacityAsync(policy, default);
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Record(measurements.For(RoomPolicy.DefaultName), succeeded: 15, failed: 5);
        await b.RunOnceAsync(default);
        var afterGap = await store.GetCapacityAsync(policy, default);

        // Assert
        Assert.Equal((40, 1L), (withinGap.Capacity, withinGap.Version));
        Assert.Equal((30, "errors", 2L), (afterGap.Capacity, afterGap.Reason, afterGap.Version));
    }

    [Fact]
    public async Task Step_TwoInstancesEachSeeingHalfTheRequests_JudgeTheWholeRoomsWindow()
    {
        // Arrange: a full room at 40; A forwarded 6 slow requests, B 6 fast ones. Neither has the 10
        // requests a window needs, together they have 12, and their p95 is A's latency.
        var (clock, store, rooms, policy) = await FullRoomAt40Async();

        var options = Options.Create(new WaitingRoomOptions { ReleaseInterval = TimeSpan.FromSeconds(1) });
        var (atA, atB) = (new ForwardingMeasurements(), new ForwardingMeasurements());
        var a = new AdaptiveCapacityService(store, rooms, atA, new AdaptiveSignals(), clock, options, NullLogger<AdaptiveCapacityService>.Instance);
        var b = new AdaptiveCapacityService(store, rooms, atB, new AdaptiveSignals(), clock, options, NullLogger<AdaptiveCapacityService>.Instance);
        clock.Advance(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 6; i++)
        {
            atA.For(RoomPolicy.DefaultName).Started();
            atA.For(RoomPolicy.DefaultName).Succeeded(s_target * 3);
            atB.For(RoomPolicy.DefaultName).Started();
            atB.For(RoomPolicy.DefaultName).Succeeded(s_target / 10);
        }

        // Act: A shares its window (too small to judge alone), then B decides on both.
        await a.RunOnceAsync(default);
        var afterA = await store.GetCapacityAsync(policy, default);
        clock.Advance(TimeSpan.FromSeconds(0.5));
        await b.RunOnceAsync(default);
        var afterB = await store.GetCapacityAsync(policy, default);

        // Assert
        Assert.Equal(40, afterA.Capacity);
        Assert.Equal("latency", afterB.Reason);
        Assert.True(afterB.Capacity < 40, $"capacity {afterB.Capacity}: B judged its own fast half only");
    }

    [Fact]
    public async Task Step_AnOperatorPinnedItThroughAnotherInstanceAMomentAgo_LeavesThePinUntilItsSettingsCanHaveCaughtUp()
    {
        // Arrange: another instance's admin API just pinned 25; this instance's settings show no pin yet.
        var (clock, store, rooms, policy) = await FullRoomAt40Async();
        await store.TrySetCapacityAsync(policy, new CapacityChange(null, 25, false, "operator", "operator") { By = "operator" }, default);
        var service = new AdaptiveCapacityService(store, rooms, new ForwardingMeasurements(), new AdaptiveSignals(), clock, Options.Create(new WaitingRoomOptions { ReleaseInterval = TimeSpan.FromSeconds(1) }), NullLogger<AdaptiveCapacityService>.Instance);

        // Act: a step within two intervals of the pin, then one after (the pin really was taken away).
        clock.Advance(TimeSpan.FromSeconds(1.5));
        await service.RunOnceAsync(default);
        var soon = await store.GetCapacityAsync(policy, default);
        clock.Advance(TimeSpan.FromSeconds(1));
        await service.RunOnceAsync(default);
        var later = await store.GetCapacityAsync(policy, default);

        // Assert
        Assert.Equal((25, "operator"), (soon.Capacity, soon.PinnedBy));
        Assert.Equal((25, null, "unpinned"), (later.Capacity, later.PinnedBy, later.Reason));
    }

    [Fact]
    public async Task Step_ItsWriteWins_OneAuditLineWithTheSignalAndTheChangeInTheList()
    {
        // Arrange: a full room at 40, 25 % of the window failed; two instances step on the same store.
        var (clock, store, rooms, policy) = await FullRoomAt40Async();
        var capture = new Infrastructure.LogCapture();
        using var loggers = LoggerFactory.Create(builder => builder.AddProvider(capture));
        var options = Options.Create(new WaitingRoomOptions { ReleaseInterval = TimeSpan.FromSeconds(1) });
        var measurements = new ForwardingMeasurements();
        var a = new AdaptiveCapacityService(store, rooms, measurements, new AdaptiveSignals(), clock, options, NullLogger<AdaptiveCapacityService>.Instance, audit: new WaitingRoom.Operations.AuditLog(loggers));
        var b = new AdaptiveCapacityService(store, rooms, new ForwardingMeasurements(), new AdaptiveSignals(), clock, options, NullLogger<AdaptiveCapacityService>.Instance, audit: new WaitingRoom.Operations.AuditLog(loggers));
        clock.Advance(TimeSpan.FromSeconds(5));
        Record(measurements.For(RoomPolicy.DefaultName), succeeded: 15, failed: 5);

        // Act: A cuts; B, deciding on A's shared window at the same moment, finds the change made.
        await a.RunOnceAsync(default);
        await b.RunOnceAsync(default);
        var changes = await store.GetCapacityChangesAsync(policy, default);

        // Assert
        var audit = Assert.Single(capture.Entries, e => e.Category == WaitingRoom.Operations.AuditLog.Category);
        Assert.Matches(@"^Audit: controller from instance [0-9a-f]{12} did capacity on room default: 40 -> 30 \(errors; p95 0\.1 s, error share 0\.25 over 20 requests\)$", audit.Message);
        Assert.Equal(new CapacityChangeRecord(clock.GetUtcNow(), 40, 30, "errors", "controller", 0.1, 0.25), changes[0] with { P95 = Math.Round(changes[0].P95!.Value, 1) });
        Assert.Equal(2, changes.Count);
    }

    /// <summary>An adaptive room (10–100) whose stored capacity of 40 is full, on a fake clock.</summary>
    private static async Task<(FakeTimeProvider Clock, InMemoryWaitingRoomStore Store, RoomTable Rooms, RoomPolicy Policy)> FullRoomAt40Async()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new InMemoryWaitingRoomStore(clock);
        var rooms = new RoomTable([new RoomSettings { MaxActive = 100, Adaptive = new AdaptiveSettings { On = true, MinActive = 10, TargetP95 = s_target } }]);
        var policy = rooms.Default.PolicyAt(clock.GetUtcNow());
        await store.TrySetCapacityAsync(policy, new CapacityChange(null, 40, false, null, "healthy"), default);
        for (var i = 0; i < 40; i++)
        {
            await store.AdmitAsync(policy, $"visitor-{i}", null, default);
        }

        return (clock, store, rooms, policy);
    }

    private static void Record(ForwardingStats stats, int succeeded, int failed)
    {
        var total = succeeded + failed;
        for (var i = 0; i < total; i++)
        {
            // Failures spread through the window, never five in a row (that would be a hold).
            stats.Started();
            if (i % 4 == 3 && failed > 0)
            {
                stats.Failed();
                failed--;
            }
            else
            {
                stats.Succeeded(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    /// <summary>A crowd, an origin model and the service, all on one fake clock.</summary>
    private sealed class Simulation
    {
        private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(100);
        private readonly Random _random = new(20261203);

        private readonly Dictionary<string, DateTimeOffset> _inSession = [];
        private readonly List<(string Id, int Slot)> _waiting = [];
        private readonly List<ForwardingMeasurements> _instances = [];
        private readonly AdaptiveCapacityService _service;
        private readonly RoomTable _rooms;
        private readonly RoomSettings _room;
        private readonly IOptions<WaitingRoomOptions> _options = Options.Create(new WaitingRoomOptions { ReleaseInterval = TimeSpan.FromSeconds(1) });
        private readonly DateTimeOffset _start;
        private double _owed;
        private int _arrivals;
        private int _ticks;
        private int _requests;

        public Simulation(int knee, int? pinned = null, int minActive = 5)
        {
            Knee = knee;
            Clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
            _start = Clock.GetUtcNow();
            Store = new InMemoryWaitingRoomStore(Clock);
            _room = new RoomSettings
            {
                MaxActive = 200,
                ActiveTtl = TimeSpan.FromHours(1),
                QueueTtl = TimeSpan.FromHours(1),
                AdmissionWindow = TimeSpan.FromHours(1),
                MaxNewPerIpPerMinute = 0,
                Adaptive = new AdaptiveSettings { On = true, MinActive = minActive, TargetP95 = s_target, MaxErrors = 0.05, Pinned = pinned },
            };
            _rooms = new RoomTable([_room]);
            _service = NewService();
        }

        public FakeTimeProvider Clock { get; }

        public InMemoryWaitingRoomStore Store { get; }

        public RoomPolicy Policy => _rooms.Default.PolicyAt(Clock.GetUtcNow());

        /// <summary>Visitors in beyond which the origin slows down.</summary>
        public int Knee { get; set; }

        public bool Failing { get; set; }

        public int InSession => _inSession.Count;

        /// <summary>Seconds since the start.</summary>
        public double Now => (Clock.GetUtcNow() - _start).TotalSeconds;

        public List<Point> Trace { get; } = [];

        /// <summary>The origin's p95 with <paramref name="inSession"/> visitors browsing.</summary>
        public double P95Of(int inSession) => 0.1 + (0.02 * Math.Max(0, inSession - Knee));

        /// <summary>Another instance's service: its own measurements, the same store and clock.</summary>
        public AdaptiveCapacityService SecondInstance() => NewService();

        public void Unpin() => _rooms.Replace(Copy(_room, adaptive: _room.Adaptive with { Pinned = null }));

        /// <summary>True when every visitor browsing now is still active in the store.</summary>
        public async Task<bool> InSessionStillActiveAsync()
        {
            foreach (var id in _inSession.Keys)
            {
                if ((await Store.GetStatusAsync(Policy, id, default)).State != VisitorState.Active)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Newcomers arrive; the answer of the last one.</summary>
        public async Task<AdmissionResult> ArriveAsync(int count)
        {
            AdmissionResult result = default!;
            for (var i = 0; i < count; i++)
            {
                var id = $"visitor-{_arrivals++:D5}";
                result = await Store.AdmitAsync(Policy, id, null, default);
                if (result.State == VisitorState.Active)
                {
                    _inSession[id] = Clock.GetUtcNow() + Session();
                }
                else
                {
                    _waiting.Add((id, _arrivals % 10));
                }
            }

            return result;
        }

        public async Task RunAsync(TimeSpan span, AdaptiveCapacityService? also = null)
        {
            for (var passed = TimeSpan.Zero; passed < span; passed += s_step)
            {
                Clock.Advance(s_step);
                await LeaveAsync();
                await PollAsync();
                Browse();
                if (++_ticks % 10 == 0)
                {
                    await Store.PromoteAsync(Policy, 1000, default);
                    await _service.RunOnceAsync(default);
                    if (also is not null)
                    {
                        await also.RunOnceAsync(default);
                    }

                    var state = await Store.GetCapacityAsync(Policy, default);
                    Trace.Add(new Point(Math.Round(Now, 1), state.Capacity, state.Hold, InSession, P95Of(InSession)));
                    if (_waiting.Count < 100)
                    {
                        await ArriveAsync(100);
                    }
                }
            }
        }

        public string Describe() => string.Join("\n", Trace.Select(p => $"{p.Time,6:F1} s  capacity {p.Capacity,4}{(p.Hold ? " hold" : "     ")}  in {p.InSession,4}  p95 {p.P95:F3}"));

        /// <summary>An instance: its own measurements (the crowd's requests are spread over the instances), the same store and clock.</summary>
        /// <summary>How long a visitor browses: 6 to 10 s (seeded), so sessions do not end in waves.</summary>
        private TimeSpan Session() => TimeSpan.FromSeconds(6 + (4 * _random.NextDouble()));

        private AdaptiveCapacityService NewService()
        {
            var measurements = new ForwardingMeasurements();
            _instances.Add(measurements);
            return new(Store, _rooms, measurements, new AdaptiveSignals(), Clock, _options, NullLogger<AdaptiveCapacityService>.Instance);
        }

        private async Task LeaveAsync()
        {
            var now = Clock.GetUtcNow();
            foreach (var (id, until) in _inSession.Where(v => v.Value <= now).ToList())
            {
                await Store.ReleaseAsync(Policy, id, default);
                _inSession.Remove(id);
            }
        }

        /// <summary>A tenth of the waiters poll each step (each once a second, in its own slot); those let in start browsing.</summary>
        private async Task PollAsync()
        {
            var now = Clock.GetUtcNow();
            var slot = _ticks % 10;
            var admitted = new List<(string Id, int Slot)>();
            foreach (var waiter in _waiting.Where(w => w.Slot == slot).ToList())
            {
                if ((await Store.AdmitAsync(Policy, waiter.Id, null, default)).State == VisitorState.Active)
                {
                    _inSession[waiter.Id] = now + Session();
                    admitted.Add(waiter);
                }
            }

            _waiting.RemoveAll(admitted.Contains);
        }

        /// <summary>Every visitor in sends a request a second; each gets the origin's p95 now (or fails).</summary>
        private void Browse()
        {
            _owed += InSession * s_step.TotalSeconds;
            var latency = TimeSpan.FromSeconds(P95Of(InSession));
            for (; _owed >= 1; _owed--)
            {
                var stats = _instances[_requests++ % _instances.Count].For(RoomPolicy.DefaultName);
                stats.Started();
                if (Failing)
                {
                    stats.Failed();
                }
                else
                {
                    stats.Succeeded(latency);
                }
            }
        }

        private static RoomSettings Copy(RoomSettings room, AdaptiveSettings adaptive)
        {
            var copy = room.Copy();
            copy.Adaptive = adaptive;
            return copy;
        }
    }

    private sealed record Point(double Time, int Capacity, bool Hold, int InSession, double P95);
}
