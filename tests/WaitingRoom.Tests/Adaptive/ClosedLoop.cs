using WaitingRoom.Adaptive;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Tests.Adaptive;

/// <summary>
/// The real-process adaptive runs (RealTime project, AdaptiveCapacityTests) as a discrete-event
/// model in virtual time, around the real <see cref="CapacityController"/>: an origin of K workers
/// of <see cref="Service"/> seconds each with a line in front (the KneeOrigin), a crowd of a fixed
/// size that waits in the room (a poll every half second), browses <see cref="Pages"/> pages with a
/// think time and leaves through a release, the store's rules of capacity, release and expiry, and
/// 1 or 3 instances that each judge the whole room's requests (their windows are shared through the
/// store) and step the controller once per interval at their own phase, a compare-and-set and a
/// minimum gap apart, as AdaptiveCapacityService does.
/// </summary>
/// <remarks>
/// What the model leaves out is the machine: no CPU contention, no scheduling stalls. It shows the
/// controller's own dynamics (overshoot, undershoot, settling) for many seeds in milliseconds.
/// </remarks>
internal sealed class ClosedLoop
{
    private readonly PriorityQueue<Action, (double, long)> _events = new();
    private readonly Random _random;
    private readonly Queue<Request> _originLine = new();
    private readonly List<(double At, double Seconds)> _originLatencies = [];
    private readonly Dictionary<int, double> _active = [];
    private readonly Dictionary<int, double> _released = [];
    private readonly LinkedList<int> _queue = new();
    private readonly List<Instance> _instances = [];
    private readonly RoomPolicy _policy;
    private readonly AdaptiveSettings _settings;
    private readonly int _seed;
    private long _sequence;
    private int _busy;
    private int _nextVisitor;
    private CapacityState _state;

    public ClosedLoop(int instances, int seed, double target = 0.5, int min = 5, int max = 150, double service = 0.1)
    {
        Service = service;
        _random = new Random(seed);
        _seed = seed;
        Target = target;
        _policy = new RoomPolicy("default", max, TimeSpan.FromSeconds(ActiveTtl), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(AdmissionWindow)) { Adaptive = true, MinActive = min };
        _settings = new AdaptiveSettings { On = true, MinActive = min, TargetP95 = TimeSpan.FromSeconds(target), MaxErrors = 0.05 };
        _state = CapacityState.Initial(_policy);
        for (var i = 0; i < instances; i++)
        {
            _instances.Add(new Instance(new CapacityController(TimeSpan.FromSeconds(Interval)), _random.NextDouble() * Interval));
        }
    }

    /// <summary>S: the seconds one worker takes for a request.</summary>
    public double Service { get; }

    public const double ThinkMin = 0.8;
    public const double ThinkMax = 1.2;
    public const double Interval = 1.0;
    public const double ActiveTtl = 8;
    public const double AdmissionWindow = 10;
    public const double Poll = 0.5;

    /// <summary>What forwarding adds to the origin's latency, as an instance measures it.</summary>
    public const double ProxyOverhead = 0.002;

    public int Pages { get; init; } = 10;

    /// <summary>A capacity held fixed (the controller not run): what a room of that capacity does to the origin.</summary>
    public int? Pinned { get; init; }

    public double Target { get; }

    public double Now { get; private set; }

    public int Workers { get; private set; } = 4;

    public List<Sample> Trace { get; } = [];

    /// <summary>Runs <paramref name="crowd"/> visitors until <paramref name="until"/> s, with K changed as <paramref name="workers"/> says (time → K).</summary>
    public void Run(int crowd, double until, params (double At, int Workers)[] workers)
    {
        for (var i = 0; i < crowd; i++)
        {
            At(_random.NextDouble() * ThinkMax, () => Arrive(++_nextVisitor));
        }

        foreach (var (at, k) in workers)
        {
            At(at, () => SetWorkers(k));
        }

        foreach (var instance in _instances)
        {
            Every(instance.Phase, Interval, () => Promote());
            Every(instance.Phase + (Interval / 2), Interval, () => Step(instance));
        }

        Every(0, 0.2, Record);
        var stalls = Stalls(until);
        while (_events.TryDequeue(out var action, out var when) && when.Item1 <= until)
        {
            // The machine stalls: nothing happens until it goes on, then everything that was due at once.
            if (stalls.FirstOrDefault(s => when.Item1 >= s.From && when.Item1 < s.To) is { To: > 0 } stall)
            {
                _events.Enqueue(action, (stall.To, when.Item2));
                continue;
            }

            Now = when.Item1;
            action();
        }
    }

    /// <summary>
    /// Mean seconds between two stalls of the whole machine (0: none), each of <see cref="StallMin"/>
    /// to <see cref="StallMax"/> s: nothing happens during one, then everything that was due at once
    /// (a loaded machine's worst case: the crowd's requests come back together, a real burst at the origin).
    /// </summary>
    public double StallEvery { get; init; }

    public double StallMin { get; init; } = 0.2;

    public double StallMax { get; init; } = 1.2;

    private List<(double From, double To)> Stalls(double until)
    {
        var stalls = new List<(double From, double To)>();
        if (StallEvery <= 0)
        {
            return stalls;
        }

        var random = new Random(_seed + 7919);
        for (var at = -Math.Log(1 - random.NextDouble()) * StallEvery; at < until; at += -Math.Log(1 - random.NextDouble()) * StallEvery)
        {
            var length = StallMin + ((StallMax - StallMin) * random.NextDouble());
            stalls.Add((at, at + length));
            at += length;
        }

        return stalls;
    }

    /// <summary>The most visitors browsing straight at the origin (no room) that keep its p95 under the target, over a long window.</summary>
    public static int Reference(int workers, double target, int seed, double service = 0.1)
    {
        var best = 0;
        for (var crowd = (int)(workers * (target + 1) / service * 0.5); crowd < workers * (target + 1) / service * 1.3; crowd++)
        {
            var loop = new ClosedLoop(1, seed, target, service: service) { Workers = workers };
            for (var i = 0; i < crowd; i++)
            {
                var visitor = i;
                loop.At(loop._random.NextDouble() * ThinkMax, () => loop.Straight(visitor));
            }

            while (loop._events.TryDequeue(out var action, out var when) && when.Item1 <= 40)
            {
                loop.Now = when.Item1;
                action();
            }

            if (P95(loop._originLatencies.Where(l => l.At >= 10).Select(l => l.Seconds)) <= target)
            {
                best = crowd;
            }
        }

        return best;
    }

    private void Straight(int visitor) => Forward(visitor, 1, counted: false);

    private void SetWorkers(int workers)
    {
        Workers = workers;
        while (_busy < Workers && _originLine.TryDequeue(out var next))
        {
            _busy++;
            At(Now + Service, () => Complete(next));
        }
    }

    private long Effective => _state.Hold ? 0 : CapacityState.Bounded(_policy, _state.Capacity);

    private long Used => _active.Count + _released.Count;

    private void Arrive(int visitor)
    {
        if (_queue.Count == 0 && Used < Effective)
        {
            Admit(visitor);
            return;
        }

        _queue.AddLast(visitor);
        At(Now + Poll, () => Wait(visitor));
    }

    private void Wait(int visitor)
    {
        if (_released.Remove(visitor))
        {
            Admit(visitor);
            return;
        }

        if (_queue.First?.Value == visitor && Used < Effective)
        {
            _queue.RemoveFirst();
            Admit(visitor);
            return;
        }

        At(Now + Poll, () => Wait(visitor));
    }

    private void Admit(int visitor)
    {
        LetIn++;
        Forward(visitor, 0, counted: true);
    }

    public long LetIn { get; private set; }

    private void Forward(int visitor, int page, bool counted)
    {
        if (counted)
        {
            _active[visitor] = Now;
        }

        var request = new Request(visitor, page, Now, counted);
        if (_busy < Workers)
        {
            _busy++;
            At(Now + Service, () => Complete(request));
        }
        else
        {
            _originLine.Enqueue(request);
        }
    }

    private void Complete(Request request)
    {
        var latency = Now - request.Sent;
        _originLatencies.Add((Now, latency));
        // Every instance judges every instance's requests: the windows are shared through the store.
        _instances.ForEach(i => i.Latencies.Add(latency + ProxyOverhead));

        // A worker goes to the next request in line only while K allows it (K may have shrunk).
        if (_busy <= Workers && _originLine.TryDequeue(out var next))
        {
            At(Now + Service, () => Complete(next));
        }
        else
        {
            _busy--;
        }

        if (!request.Counted)
        {
            At(Now + Think(), () => Straight(request.Visitor));
        }
        else if (request.Page == Pages)
        {
            // /leave: the origin releases the slot, a new visitor takes this one's place in the crowd.
            _active.Remove(request.Visitor);
            Arrive(++_nextVisitor);
        }
        else
        {
            At(Now + Think(), () => Forward(request.Visitor, request.Page + 1, counted: true));
        }
    }

    private double Think() => ThinkMin + ((ThinkMax - ThinkMin) * _random.NextDouble());

    private void Promote()
    {
        foreach (var idle in _active.Where(a => Now - a.Value > ActiveTtl).Select(a => a.Key).ToList())
        {
            _active.Remove(idle);
        }

        foreach (var late in _released.Where(r => Now - r.Value > AdmissionWindow).Select(r => r.Key).ToList())
        {
            _released.Remove(late);
        }

        for (var free = Effective - Used; free > 0 && _queue.First is { } head; free--)
        {
            _queue.RemoveFirst();
            _released[head.Value] = Now;
        }
    }

    private void Step(Instance instance)
    {
        if (Pinned is { } pinned)
        {
            _state = _state with { Capacity = pinned };
            return;
        }

        var window = new ForwardingWindow(instance.Latencies.Count, 0, TimeSpan.FromSeconds(P95(instance.Latencies)), 0, 0);
        var now = DateTimeOffset.UnixEpoch + TimeSpan.FromSeconds(Now);
        var sinceChange = _state.ChangedAt is { } at ? now - at : TimeSpan.MaxValue;
        var step = instance.Controller.Decide(_policy, _settings, _state, _active.Count, Used, window, sinceChange);
        if (step.UsedWindow)
        {
            instance.Latencies.Clear();
        }

        var gap = TimeSpan.FromSeconds(step.Hold ? 0 : Interval * 0.75);
        if (step.Changes(_state) && !(_state.ChangedAt is { } last && now - last < gap))
        {
            _state = new CapacityState(CapacityState.Bounded(_policy, step.Capacity), step.Hold, null, step.Reason, _state.Version + 1, now);
        }
    }

    private void Record()
    {
        var recent = _originLatencies.Where(l => l.At >= Now - 1).Select(l => l.Seconds).ToList();
        var p95 = recent.Count == 0 ? (Trace.Count == 0 ? 0 : Trace[^1].OriginP95) : P95(recent);
        Trace.Add(new Sample(Now, _state.Capacity, _state.Hold, Used, _queue.Count, LetIn, p95, Workers));
    }

    /// <summary>The 95th percentile as HdrHistogram and the KneeOrigin take it: the value 95 % of the samples are at or under.</summary>
    private static double P95(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(sorted.Count * 0.95) - 1)];
    }

    private void At(double when, Action action) => _events.Enqueue(action, (when, _sequence++));

    private void Every(double first, double period, Action action)
    {
        void Tick()
        {
            action();
            At(Now + period, Tick);
        }

        At(first, Tick);
    }

    /// <summary>One moment of the run, as the real runs' trace has it.</summary>
    internal sealed record Sample(double Time, int Capacity, bool Hold, long Used, long Queued, long LetIn, double OriginP95, int Workers);

    private sealed record Request(int Visitor, int Page, double Sent, bool Counted);

    private sealed class Instance(CapacityController controller, double phase)
    {
        public CapacityController Controller { get; } = controller;

        public double Phase { get; } = phase;

        public List<double> Latencies { get; } = [];
    }
}
