using System.Globalization;
using System.Text;
using HdrHistogram;

namespace WaitingRoom.Adaptive;

/// <summary>
/// One room's forwarded requests as this instance sees them, recorded on the hot path without a
/// lock or an allocation: in flight, outcomes and latency (HdrHistogram's <see cref="Recorder"/>,
/// which hands out interval histograms without stalling writers). The controller reads a window
/// (<see cref="Collect"/>, shared with the other instances, then <see cref="Read"/>) every interval and starts a new one once it has used it (<see cref="Restart"/>).
/// </summary>
internal sealed class ForwardingStats
{
    /// <summary>Latencies are recorded in microseconds up to an hour (longer ones count as an hour), to two significant digits.</summary>
    private const long MaxMicroseconds = 3_600_000_000;

    private readonly Recorder _latency = CreateRecorder();
    private readonly Lock _readLock = new();
    private readonly HistogramBase _window = HistogramFactory.With64BitBucketSize().WithValuesFrom(1).WithValuesUpTo(MaxMicroseconds).WithPrecisionOf(2).Create();
    private HistogramBase? _interval;
    private long _inFlight;
    private long _succeeded;
    private long _failed;
    private int _failingRun;
    private long _windowSucceeded;
    private long _windowFailed;
    private long _sequence;
    private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);

    /// <summary>Requests of the room being forwarded now.</summary>
    public long InFlight => Volatile.Read(ref _inFlight);

    /// <summary>A request is being forwarded.</summary>
    public void Started() => Interlocked.Increment(ref _inFlight);

    /// <summary>The origin answered below 500 after <paramref name="elapsed"/>.</summary>
    public void Succeeded(TimeSpan elapsed)
    {
        Interlocked.Decrement(ref _inFlight);
        var microseconds = elapsed.Ticks / TimeSpan.TicksPerMicrosecond;
        _latency.RecordValue(Math.Clamp(microseconds, 1, MaxMicroseconds));
        Interlocked.Increment(ref _succeeded);
        if (Volatile.Read(ref _failingRun) != 0)
        {
            Volatile.Write(ref _failingRun, 0);
        }
    }

    /// <summary>The origin answered 5xx, or forwarding failed on the origin's side.</summary>
    public void Failed()
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _failed);
        Interlocked.Increment(ref _failingRun);
    }

    /// <summary>Neither: the client went away, or the request became a WebSocket (its lifetime is no latency).</summary>
    public void Ended() => Interlocked.Decrement(ref _inFlight);

    /// <summary>
    /// Moves what was recorded since the last call into the window and returns it as text for the
    /// other instances (see <see cref="Queue.IWaitingRoomStore.ShareWindowAsync"/>): a sequence
    /// number, the counts and the latency histogram's non-empty buckets.
    /// </summary>
    public string Collect()
    {
        lock (_readLock)
        {
            // The interval histogram is recycled: collecting allocates only the text.
            _interval = _interval is null ? _latency.GetIntervalHistogram() : _latency.GetIntervalHistogram(_interval);
            _window.Add(_interval);
            var succeeded = Interlocked.Exchange(ref _succeeded, 0);
            var failed = Interlocked.Exchange(ref _failed, 0);
            _windowSucceeded += succeeded;
            _windowFailed += failed;
            var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{++_sequence};{succeeded};{failed};");
            foreach (var bucket in _interval.RecordedValues())
            {
                text.Append(CultureInfo.InvariantCulture, $"{bucket.ValueIteratedTo}:{bucket.CountAtValueIteratedTo},");
            }

            return text.ToString();
        }
    }

    /// <summary>
    /// Everything since the last <see cref="Restart"/>: this instance's requests up to the last
    /// <see cref="Collect"/>, and those of the other instances in <paramref name="shared"/> (their
    /// <see cref="Collect"/> texts; each one counted once, however often it is seen). One reader at a time.
    /// </summary>
    public ForwardingWindow Read(IReadOnlyList<string> shared)
    {
        ArgumentNullException.ThrowIfNull(shared);
        lock (_readLock)
        {
            foreach (var text in shared)
            {
                AddShared(text);
            }

            // Only the instances still sharing are remembered: a restarted instance comes back under a
            // new name, and one whose window aged out of the store never shows that window again.
            if (_seen.Count > shared.Count)
            {
                var live = shared.Select(text => text.Split(';', 2)[0]).ToHashSet(StringComparer.Ordinal);
                foreach (var gone in _seen.Keys.Where(name => !live.Contains(name)).ToList())
                {
                    _seen.Remove(gone);
                }
            }

            var p95 = _window.TotalCount == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(_window.GetValueAtPercentile(95) * TimeSpan.TicksPerMicrosecond);
            return new ForwardingWindow(_windowSucceeded, _windowFailed, p95, InFlight, Volatile.Read(ref _failingRun));
        }
    }

    /// <summary>Adds one other instance's interval (instance;sequence;succeeded;failed;value:count,…); a text seen before or not well formed is left out.</summary>
    private void AddShared(string text)
    {
        var parts = text.Split(';');
        if (parts.Length != 5 || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var sequence) ||
            !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var succeeded) || !long.TryParse(parts[3], CultureInfo.InvariantCulture, out var failed) ||
            (_seen.TryGetValue(parts[0], out var last) && sequence <= last))
        {
            return;
        }

        _seen[parts[0]] = sequence;
        _windowSucceeded += succeeded;
        _windowFailed += failed;
        foreach (var bucket in parts[4].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = bucket.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && long.TryParse(bucket.AsSpan(0, colon), CultureInfo.InvariantCulture, out var value) && long.TryParse(bucket.AsSpan(colon + 1), CultureInfo.InvariantCulture, out var count) && count > 0)
            {
                _window.RecordValueWithCount(Math.Clamp(value, 1, MaxMicroseconds), count);
            }
        }
    }

    /// <summary>Forgets the window the controller has used: the next one starts now.</summary>
    public void Restart()
    {
        lock (_readLock)
        {
            _window.Reset();
            _windowSucceeded = 0;
            _windowFailed = 0;
        }
    }

    private static Recorder CreateRecorder() =>
        HistogramFactory.With64BitBucketSize().WithValuesFrom(1).WithValuesUpTo(MaxMicroseconds).WithPrecisionOf(2).WithThreadSafeWrites().WithThreadSafeReads().Create();
}
