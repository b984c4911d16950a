using BenchmarkDotNet.Attributes;
using WaitingRoom.Analytics;
using WaitingRoom.Queue;

namespace WaitingRoom.Micro;

/// <summary>
/// What the analytics counters cost each admission decision: a decision that counts nothing (an
/// active visitor's request, a waiter's poll: most requests), an arrival, and a waiter admitted at
/// the head with its time in queue. No allocation is allowed in any of them.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class AnalyticsBenchmarks
{
    private readonly AnalyticsRecorder _recorder = new(TimeProvider.System);
    private readonly AdmissionResult _active = new(VisitorState.Active, 0, 0);
    private readonly AdmissionResult _poll = new(VisitorState.Queued, 10, 100);
    private readonly AdmissionResult _arrival = new(VisitorState.Queued, 101, 101) { Joined = true };
    private readonly AdmissionResult _head = new(VisitorState.Active, 0, 99) { Admitted = true, WaitedMilliseconds = 95_000 };

    [GlobalSetup]
    public void Setup() => _recorder.Decided("default", _arrival);

    [Benchmark(Baseline = true)]
    public void ActiveRequest() => _recorder.Decided("default", _active);

    [Benchmark]
    public void WaiterPoll() => _recorder.Decided("default", _poll);

    [Benchmark]
    public void Arrival() => _recorder.Decided("default", _arrival);

    [Benchmark]
    public void AdmittedFromTheHead() => _recorder.Decided("default", _head);
}
