using System.Diagnostics;
using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace WaitingRoom.Tests.Adaptive;

/// <summary>
/// Reads the room straight from Redis every 200 ms (one script, so the numbers are of one instant):
/// the stored capacity and hold, active, released, queued and the admissions so far; and the
/// origin's own p95 over the last second. Checks as it goes that nobody was admitted while the room
/// was over its capacity (a lower capacity takes effect only by not admitting).
/// </summary>
internal sealed class CapacityTrace
{
    /// <summary>KEYS: capacity hash, active, released, queue, admitted total, promoted total.</summary>
    private const string SampleScript = """
        local c = redis.call('HMGET', KEYS[1], 'cap', 'hold')
        return {c[1] or '', c[2] or '', redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]), redis.call('ZCARD', KEYS[4]),
          redis.call('GET', KEYS[5]) or '0', redis.call('GET', KEYS[6]) or '0'}
        """;

    private readonly IDatabase _redis;
    private readonly RedisKey[] _keys;
    private readonly KneeOrigin _origin;
    private readonly Stopwatch _clock;
    private readonly int _min;

    public CapacityTrace(IDatabase redis, string prefix, KneeOrigin origin, Stopwatch clock, int min)
    {
        _redis = redis;
        var tag = $"{prefix}:{{default}}:";
        _keys = [tag + "capacity", tag + "active", tag + "released", tag + "queue", tag + "admitted", tag + "promoted"];
        _origin = origin;
        _clock = clock;
        _min = min;
    }

    public List<Sample> Samples { get; } = [];

    /// <summary>Samples where admissions went up while the visitors in were already above an unchanged capacity.</summary>
    public List<string> AdmittedOverCapacity { get; } = [];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Sample? previous = null;
        var lastP95 = 0.0;
        var nextP95 = 0.0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var values = (RedisResult[])(await _redis.ScriptEvaluateAsync(SampleScript, _keys))!;
            var time = _clock.Elapsed.TotalSeconds;
            if (time >= nextP95)
            {
                lastP95 = _origin.P95Over(TimeSpan.FromSeconds(1)) ?? lastP95;
                nextP95 = time + 1;
            }

            var stored = (string)values[0]!;
            var sample = new Sample(
                time,
                stored.Length == 0 ? _min : int.Parse(stored, CultureInfo.InvariantCulture),
                (string)values[1]! == "1",
                (long)values[2],
                (long)values[3],
                (long)values[4],
                long.Parse((string)values[5]!, CultureInfo.InvariantCulture) + long.Parse((string)values[6]!, CultureInfo.InvariantCulture),
                lastP95,
                _origin.Workers);
            if (previous is not null && sample.LetIn > previous.LetIn && previous.Used >= previous.Effective && sample.Effective == previous.Effective && sample.Used > sample.Effective)
            {
                AdmittedOverCapacity.Add($"{time:F1} s: {sample.Used} in, capacity {sample.Effective}, {sample.LetIn - previous.LetIn} let in");
            }

            Samples.Add(sample);
            previous = sample;
            try
            {
                await Task.Delay(200, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Samples from <paramref name="from"/> to <paramref name="to"/> seconds.</summary>
    public List<Sample> Between(double from, double to) => [.. Samples.Where(s => s.Time >= from && s.Time < to)];

    /// <summary>One line a second, for the test's output.</summary>
    public string Describe()
    {
        var text = new StringBuilder("  time  capacity  in  queued  origin p95  K\n");
        var next = 0.0;
        foreach (var s in Samples.Where(s => s.Time >= 0))
        {
            if (s.Time >= next)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{s.Time,6:F1} {s.Capacity,6}{(s.Hold ? "H" : " ")} {s.Used,5} {s.Queued,6} {s.OriginP95,9:F3} {s.Workers,3}");
                next = Math.Floor(s.Time) + 1;
            }
        }

        return text.ToString();
    }

    /// <summary>The trace as CSV (time, capacity, hold, in, queued, origin p95, K), for docs/adaptive-capacity.svg.</summary>
    public async Task WriteCsvAsync(string name)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "adaptive");
        Directory.CreateDirectory(directory);
        var text = new StringBuilder("time,capacity,hold,in,queued,origin_p95,workers\n");
        foreach (var s in Samples)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{s.Time:F2},{s.Capacity},{(s.Hold ? 1 : 0)},{s.Used},{s.Queued},{s.OriginP95:F4},{s.Workers}");
        }

        await File.WriteAllTextAsync(Path.Combine(directory, name + ".csv"), text.ToString());
    }

    /// <summary>
    /// The trace as an SVG chart: capacity (and visitors in) with the measured reference (if any), the origin's p95
    /// with the target, and the queue, over the run; K's changes marked. Copied to docs/ by hand.
    /// </summary>
    public async Task WriteSvgAsync(string name, string title, Func<int, double>? reference, double target)
    {
        const int width = 900, panel = 170, left = 60, right = 20, top = 40, gap = 40;
        var end = Math.Max(1, Samples.Count == 0 ? 1 : Samples[^1].Time);
        var maxCapacity = Math.Max(10, Samples.Max(s => Math.Max(s.Capacity, s.Used)) * 1.1);
        var maxP95 = Math.Max(target * 2, Samples.Max(s => s.OriginP95) * 1.1);
        var maxQueued = Math.Max(10, Samples.Max(s => s.Queued) * 1.1);
        double X(double t) => left + ((width - left - right) * t / end);
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{top + (3 * panel) + (2 * gap) + 40}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"{left}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{title}</text>");
        void Panel(int index, string label, double max, IEnumerable<(string Color, string Legend, Func<Sample, double> Value, bool Dashed)> series)
        {
            var y0 = top + (index * (panel + gap));
            double Y(double v) => y0 + panel - (panel * Math.Min(v, max) / max);
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{y0}\" width=\"{width - left - right}\" height=\"{panel}\" fill=\"none\" stroke=\"#ccc\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{y0 + 10}\" text-anchor=\"end\">{max:0.##}</text><text x=\"{left - 6}\" y=\"{y0 + panel}\" text-anchor=\"end\">0</text>");
            var legendX = left + 8;
            foreach (var (color, legend, value, dashed) in series)
            {
                var points = string.Join(" ", Samples.Select(s => FormattableString.Invariant($"{X(s.Time):F1},{Y(value(s)):F1}")));
                svg.AppendLine(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\"{(dashed ? " stroke-dasharray=\"5,4\"" : "")} points=\"{points}\"/>");
                svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{legendX}\" y=\"{y0 - 6}\" fill=\"{color}\">{legend}</text>");
                legendX += (legend.Length * 7) + 16;
            }

            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{width - right}\" y=\"{y0 - 6}\" text-anchor=\"end\" fill=\"#555\">{label}</text>");
        }

        List<(string, string, Func<Sample, double>, bool)> visitors = [("#1f77b4", "effective capacity", s => s.Effective, false), ("#2ca02c", "in (active + released)", s => s.Used, false)];
        if (reference is not null)
        {
            visitors.Add(("#d62728", "reference (measured)", s => reference(s.Workers), true));
        }

        Panel(0, "visitors", maxCapacity, visitors);
        Panel(1, "seconds", maxP95, [("#ff7f0e", "origin p95 (last second)", s => s.OriginP95, false), ("#d62728", "target", _ => target, true)]);
        Panel(2, "visitors", maxQueued, [("#9467bd", "queue length", s => s.Queued, false)]);
        var bottom = top + (3 * panel) + (2 * gap);
        for (var t = 0; t <= end; t += 10)
        {
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{X(t):F1}\" y=\"{bottom + 16}\" text-anchor=\"middle\">{t} s</text>");
        }

        foreach (var (before, after) in Samples.Zip(Samples.Skip(1)).Where(p => p.First.Workers != p.Second.Workers || p.First.Hold != p.Second.Hold))
        {
            var label = before.Workers != after.Workers ? $"K = {after.Workers}" : after.Hold ? "hold" : "resume";
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{X(after.Time):F1}\" x2=\"{X(after.Time):F1}\" y1=\"{top}\" y2=\"{bottom}\" stroke=\"#888\" stroke-dasharray=\"2,3\"/><text x=\"{X(after.Time) + 3:F1}\" y=\"{top + 12}\" fill=\"#555\">{label}</text>");
        }

        svg.AppendLine("</svg>");
        var directory = Path.Combine(AppContext.BaseDirectory, "adaptive");
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, name + ".svg"), svg.ToString());
    }

    /// <summary>One instant: the stored capacity (the lower bound before any is stored), hold, visitors in, waiting, admissions so far.</summary>
    internal sealed record Sample(double Time, int Capacity, bool Hold, long Active, long Released, long Queued, long LetIn, double OriginP95, int Workers)
    {
        public long Used => Active + Released;

        public int Effective => Hold ? 0 : Capacity;
    }
}
