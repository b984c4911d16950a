using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace WaitingRoom.Operations;

/// <summary>
/// One metric family of the <see cref="PrometheusExporter"/>: how an instrument aggregates and its
/// series, found by the measurement's tags in the order they arrive and stored under their sorted
/// label text, so tags in another order (or that print the same) land in the same series.
/// </summary>
internal sealed class PrometheusFamily
{
    private static readonly double[] s_defaultBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ConcurrentDictionary<KeyValuePair<string, object?>[], PrometheusSeries> _byTags = new(PrometheusTagComparer.Instance);
    private readonly ConcurrentDictionary<KeyValuePair<string, object?>[], PrometheusSeries>.AlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>> _byTagSpan;
    private readonly ConcurrentDictionary<string, PrometheusSeries> _byLabels = new(StringComparer.Ordinal);
    private readonly Aggregation _aggregation;
    private readonly bool _floating;
    private readonly string _type;
    private readonly string? _help;
    private readonly double[] _bounds;
    private readonly string[] _boundTexts;

    private PrometheusFamily(string name, string type, Aggregation aggregation, bool floating, string? help, double[] bounds)
    {
        Name = name;
        _type = type;
        _aggregation = aggregation;
        _floating = floating;
        _help = string.IsNullOrEmpty(help) ? null : PrometheusFormat.EscapeHelp(help);
        _bounds = bounds;
        _boundTexts = [.. bounds.Select(PrometheusFormat.Number)];
        _byTagSpan = _byTags.GetAlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>>();
    }

    private enum Aggregation
    {
        Sum,
        LastValue,
        Observed,
        Histogram,
    }

    /// <summary>The family's name in the exposition: a counter's ends with <c>_total</c>.</summary>
    public string Name { get; }

    /// <summary>A new family for the instrument, or null when it is not one we export.</summary>
    public static PrometheusFamily? For(Instrument instrument)
    {
        var type = instrument.GetType();
        if (!type.IsGenericType)
        {
            return null;
        }

        var definition = type.GetGenericTypeDefinition();
        var (kind, aggregation) = definition switch
        {
            _ when definition == typeof(Counter<>) => ("counter", Aggregation.Sum),
            _ when definition == typeof(ObservableCounter<>) => ("counter", Aggregation.Observed),
            _ when definition == typeof(UpDownCounter<>) => ("gauge", Aggregation.Sum),
            _ when definition == typeof(ObservableUpDownCounter<>) => ("gauge", Aggregation.Observed),
            _ when definition == typeof(Gauge<>) => ("gauge", Aggregation.LastValue),
            _ when definition == typeof(ObservableGauge<>) => ("gauge", Aggregation.Observed),
            _ when definition == typeof(Histogram<>) => ("histogram", Aggregation.Histogram),
            _ => (null, Aggregation.Sum),
        };
        if (kind is null)
        {
            return null;
        }

        var measured = type.GetGenericArguments()[0];
        var floating = measured == typeof(double) || measured == typeof(float) || measured == typeof(decimal);
        var name = PrometheusFormat.MetricName(instrument.Name);
        if (kind == "counter" && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }

        var bounds = aggregation == Aggregation.Histogram ? Bounds(instrument) : [];
        return new PrometheusFamily(name, kind, aggregation, floating, instrument.Description, bounds);
    }

    /// <summary>Whether measurements of <paramref name="other"/>'s instrument can go into this family.</summary>
    public bool Accepts(PrometheusFamily other) =>
        ReferenceEquals(this, other)
        || (Name == other.Name && _type == other._type && _aggregation == other._aggregation && _floating == other._floating && _bounds.AsSpan().SequenceEqual(other._bounds));

    /// <summary>Adds, sets or counts a whole-number measurement into the series of its tags (the hot path).</summary>
    public void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = Series(tags);
        switch (_aggregation)
        {
            case Aggregation.Sum:
                series.Add(value);
                break;
            case Aggregation.Histogram:
                series.AddToBucket(BucketOf(value));
                series.Add(value);
                break;
            default:
                series.Set(value);
                break;
        }
    }

    /// <summary>Adds, sets or counts a floating-point measurement into the series of its tags (the hot path).</summary>
    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = Series(tags);
        switch (_aggregation)
        {
            case Aggregation.Sum:
                series.Add(value);
                break;
            case Aggregation.Histogram:
                series.AddToBucket(BucketOf(value));
                series.Add(value);
                break;
            default:
                series.Set(value);
                break;
        }
    }

    /// <summary>
    /// Drops an observable family's series before its callbacks run again, so a series the callback
    /// no longer reports (a removed room) disappears instead of repeating its last value.
    /// </summary>
    public void ForgetObservations()
    {
        if (_aggregation == Aggregation.Observed)
        {
            _byTags.Clear();
            _byLabels.Clear();
        }
    }

    /// <summary>Writes HELP, TYPE and every series; nothing at all while the family has no series.</summary>
    public void WriteTo(TextWriter writer)
    {
        if (_byLabels.IsEmpty)
        {
            return;
        }

        if (_help is not null)
        {
            writer.Write($"# HELP {Name} {_help}\n");
        }

        writer.Write($"# TYPE {Name} {_type}\n");
        foreach (var series in _byLabels.Values.OrderBy(s => s.Labels, StringComparer.Ordinal))
        {
            if (_aggregation != Aggregation.Histogram)
            {
                PrometheusFormat.WriteSample(writer, Name, series.Labels, null, series.Value(_floating));
                continue;
            }

            var cumulative = 0L;
            for (var i = 0; i <= _bounds.Length; i++)
            {
                cumulative += series.BucketCount(i);
                PrometheusFormat.WriteSample(writer, Name + "_bucket", series.Labels, i < _bounds.Length ? _boundTexts[i] : "+Inf", PrometheusFormat.Number(cumulative));
            }

            PrometheusFormat.WriteSample(writer, Name + "_sum", series.Labels, null, series.Value(_floating));
            PrometheusFormat.WriteSample(writer, Name + "_count", series.Labels, null, PrometheusFormat.Number(cumulative));
        }
    }

    private PrometheusSeries Series(ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        _byTagSpan.TryGetValue(tags, out var series) ? series : AddSeries(tags);

    private PrometheusSeries AddSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = PrometheusFormat.Labels(tags, reserved: _aggregation == Aggregation.Histogram ? "le" : null);
        var series = _byLabels.GetOrAdd(labels, static (text, buckets) => new PrometheusSeries(text, buckets), _bounds.Length + 1);
        _byTagSpan.TryAdd(tags, series);
        return series;
    }

    /// <summary>The bucket of <paramref name="value"/>: the first bound it does not exceed (<c>le</c>), else +Inf.</summary>
    private int BucketOf(double value)
    {
        var i = 0;
        while (i < _bounds.Length && !(value <= _bounds[i]))
        {
            i++;
        }

        return i;
    }

    private static double[] Bounds(Instrument instrument) => instrument switch
    {
        Instrument<byte> i => Bounds(i.Advice?.HistogramBucketBoundaries),
        Instrument<short> i => Bounds(i.Advice?.HistogramBucketBoundaries),
        Instrument<int> i => Bounds(i.Advice?.HistogramBucketBoundaries),
        Instrument<long> i => Bounds(i.Advice?.HistogramBucketBoundaries),
        Instrument<float> i => Bounds(i.Advice?.HistogramBucketBoundaries),
        Instrument<double> i => Bounds(i.Advice?.HistogramBucketBoundaries),
        Instrument<decimal> i => Bounds(i.Advice?.HistogramBucketBoundaries),
        _ => s_defaultBounds,
    };

    /// <summary>The advised boundaries (the BCL checks they ascend), less +Inf, which is always added; else the default seconds buckets.</summary>
    private static double[] Bounds<T>(IReadOnlyList<T>? advised)
        where T : struct =>
        advised is null ? s_defaultBounds : [.. advised.Select(b => Convert.ToDouble(b, CultureInfo.InvariantCulture)).Where(double.IsFinite)];
}
