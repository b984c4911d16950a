using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4, for tests of anything that
/// serves /metrics. <see cref="Parse"/> throws a <see cref="FormatException"/> whose message starts
/// <c>line N: rule:</c> at the first violation. Stricter than Prometheus where our own output
/// should be canonical: single spaces, no blank lines, no leading or trailing whitespace, counter
/// names ending <c>_total</c>, HELP and TYPE before a family's samples.
/// </summary>
/// <remarks>
/// Rules (the names the messages use): final-newline, carriage-return, blank-line, whitespace,
/// metric-name, help-escape, help-before-samples, duplicate-help, type-value, type-before-samples,
/// duplicate-type, counter-total, family-contiguous, sample-syntax, label-name, label-escape,
/// label-duplicate, value, timestamp, duplicate-series, counter-value, bucket-le, bucket-value,
/// bucket-cumulative, bucket-inf, histogram-sum, histogram-count, summary-quantile.
/// </remarks>
public sealed partial class PrometheusText
{
    private static readonly string[] s_types = ["counter", "gauge", "histogram", "summary", "untyped"];

    private PrometheusText(IReadOnlyList<MetricFamily> families, IReadOnlyList<Sample> samples)
    {
        Families = families;
        AllSamples = samples;
    }

    /// <summary>A family: its name, its TYPE (<c>untyped</c> without a TYPE line) and its unescaped HELP, if any.</summary>
    public sealed record MetricFamily(string Name, string Type, string? Help);

    /// <summary>One sample line: its name, its unescaped labels, its value, its family and where it was.</summary>
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value, long? Timestamp, string Family, int Line);

    /// <summary>The families in the order they appear, including ones with HELP/TYPE and no sample.</summary>
    public IReadOnlyList<MetricFamily> Families { get; }

    /// <summary>Every sample in the order it appears.</summary>
    public IReadOnlyList<Sample> AllSamples { get; }

    /// <summary>Reads <paramref name="text"/>, or throws a <see cref="FormatException"/> naming the line and the rule broken.</summary>
    public static PrometheusText Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new Reader();
        if (text.Length > 0 && text[^1] != '\n')
        {
            throw Violation(text.Count(c => c == '\n') + 1, "final-newline", "the text does not end with a line feed");
        }

        var lines = text.Length == 0 ? [] : text[..^1].Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            reader.Line(lines[i], i + 1);
        }

        return reader.Finish();
    }

    /// <summary>The family named <paramref name="name"/>; throws when there is none.</summary>
    public MetricFamily Family(string name) =>
        Families.FirstOrDefault(f => f.Name == name) ?? throw new KeyNotFoundException($"no family {name}; families: {string.Join(", ", Families.Select(f => f.Name))}");

    /// <summary>The samples whose name is exactly <paramref name="name"/> (e.g. <c>x_bucket</c>).</summary>
    public IEnumerable<Sample> Samples(string name) => AllSamples.Where(s => s.Name == name);

    /// <summary>The value of the sample with this name and exactly these labels; throws when there is none.</summary>
    public double Value(string sampleName, params (string Label, string Value)[] labels) =>
        TryValue(sampleName, out var value, labels)
            ? value
            : throw new KeyNotFoundException($"no sample {sampleName}{{{LabelText(labels)}}}; present: {string.Join(" ", Samples(sampleName).Select(s => $"{{{LabelText(s.Labels.Select(l => (l.Key, l.Value)))}}}"))}");

    /// <summary>The value of the sample with this name and exactly these labels, if there is one.</summary>
    public bool TryValue(string sampleName, out double value, params (string Label, string Value)[] labels)
    {
        var sample = Samples(sampleName).FirstOrDefault(s =>
            s.Labels.Count == labels.Length && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value));
        value = sample?.Value ?? double.NaN;
        return sample is not null;
    }

    private static string LabelText(IEnumerable<(string Label, string Value)> labels) =>
        string.Join(",", labels.OrderBy(l => l.Label, StringComparer.Ordinal).Select(l => $"{l.Label}=\"{Escape(l.Value)}\""));

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static FormatException Violation(int line, string rule, string detail) => new($"line {line}: {rule}: {detail}");

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    [GeneratedRegex(@"^(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|\+Inf|-Inf|NaN)$")]
    private static partial Regex GoFloat();

    [GeneratedRegex("^-?[0-9]+$")]
    private static partial Regex Integer();

    private static double ParseFloat(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private sealed class FamilyState(string name, int line)
    {
        public string Name { get; } = name;

        public int Line { get; } = line;

        public string? Type { get; set; }

        public string? Help { get; set; }

        public bool HasSamples { get; set; }

        public bool Owns(string sample) => Type switch
        {
            "histogram" => sample == Name + "_bucket" || sample == Name + "_sum" || sample == Name + "_count",
            "summary" => sample == Name || sample == Name + "_sum" || sample == Name + "_count",
            _ => sample == Name,
        };
    }

    /// <summary>The state of one pass over the lines: the families seen, the open one, the series seen.</summary>
    private sealed class Reader
    {
        private readonly Dictionary<string, FamilyState> _families = new(StringComparer.Ordinal);
        private readonly List<FamilyState> _order = [];
        private readonly List<Sample> _samples = [];
        private readonly HashSet<string> _series = new(StringComparer.Ordinal);
        private FamilyState? _current;

        public void Line(string line, int number)
        {
            if (line.Contains('\r', StringComparison.Ordinal))
            {
                throw Violation(number, "carriage-return", "lines end with a line feed alone");
            }

            if (line.Length == 0)
            {
                throw Violation(number, "blank-line", "blank lines are not allowed");
            }

            if (char.IsWhiteSpace(line[0]) || (line[0] != '#' && char.IsWhiteSpace(line[^1])))
            {
                throw Violation(number, "whitespace", "leading whitespace, or trailing whitespace after a sample");
            }

            if (line.StartsWith("# HELP ", StringComparison.Ordinal) || line == "# HELP")
            {
                Help(line.Length > 7 ? line[7..] : "", number);
            }
            else if (line.StartsWith("# TYPE ", StringComparison.Ordinal) || line == "# TYPE")
            {
                Type(line.Length > 7 ? line[7..] : "", number);
            }
            else if (line[0] != '#')
            {
                SampleLine(line, number);
            }
        }

        public PrometheusText Finish()
        {
            foreach (var family in _order.Where(f => f.Type == "histogram"))
            {
                CheckHistogram(family);
            }

            return new PrometheusText([.. _order.Select(f => new MetricFamily(f.Name, f.Type ?? "untyped", f.Help))], _samples);
        }

        private void Help(string rest, int number)
        {
            var space = rest.IndexOf(' ', StringComparison.Ordinal);
            var family = Metadata(space < 0 ? rest : rest[..space], number, "help");
            if (family.Help is not null)
            {
                throw Violation(number, "duplicate-help", $"a second HELP for {family.Name}");
            }

            var help = new StringBuilder();
            var text = space < 0 ? "" : rest[(space + 1)..];
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] != '\\')
                {
                    help.Append(text[i]);
                    continue;
                }

                help.Append(++i < text.Length ? text[i] switch
                {
                    '\\' => '\\',
                    'n' => '\n',
                    _ => throw Violation(number, "help-escape", $"\\{text[i]} in HELP (only \\\\ and \\n)"),
                } : throw Violation(number, "help-escape", "HELP ends with a lone backslash"));
            }

            family.Help = help.ToString();
        }

        private void Type(string rest, int number)
        {
            var parts = rest.Split(' ');
            var family = Metadata(parts[0], number, "type");
            if (parts.Length != 2 || !s_types.Contains(parts[1]))
            {
                throw Violation(number, "type-value", $"TYPE must be one of {string.Join("|", s_types)}, got \"{rest}\"");
            }

            if (family.Type is not null)
            {
                throw Violation(number, "duplicate-type", $"a second TYPE for {family.Name}");
            }

            if (parts[1] == "counter" && !family.Name.EndsWith("_total", StringComparison.Ordinal))
            {
                throw Violation(number, "counter-total", $"counter {family.Name} does not end with _total");
            }

            family.Type = parts[1];
        }

        /// <summary>The family a HELP or TYPE line describes: the open one, or a new one that closes it.</summary>
        private FamilyState Metadata(string name, int number, string kind)
        {
            if (!MetricName().IsMatch(name))
            {
                throw Violation(number, "metric-name", $"\"{name}\" is not a metric name");
            }

            if (_current?.Name == name)
            {
                return _current.HasSamples
                    ? throw Violation(number, $"{kind}-before-samples", $"{kind.ToUpperInvariant()} for {name} after its samples")
                    : _current;
            }

            return Open(name, number);
        }

        private FamilyState Open(string name, int number)
        {
            if (_families.TryGetValue(name, out var earlier))
            {
                throw Violation(number, "family-contiguous", $"{name} continues after another family; it started at line {earlier.Line}");
            }

            var family = new FamilyState(name, number);
            _families.Add(name, family);
            _order.Add(family);
            _current = family;
            return family;
        }

        private void SampleLine(string line, int number)
        {
            var end = line.IndexOfAny(['{', ' ']);
            var name = end < 0 ? line : line[..end];
            if (!MetricName().IsMatch(name))
            {
                throw Violation(number, "metric-name", $"\"{name}\" is not a metric name");
            }

            var position = name.Length;
            var labels = position < line.Length && line[position] == '{' ? Labels(line, ref position, number) : new Dictionary<string, string>(StringComparer.Ordinal);
            if (position >= line.Length || line[position] != ' ')
            {
                throw Violation(number, "sample-syntax", "expected one space, then the value");
            }

            var fields = line[(position + 1)..].Split(' ');
            if (fields.Length > 2 || fields.Any(f => f.Length == 0))
            {
                throw Violation(number, "sample-syntax", "expected value [timestamp], single spaces");
            }

            if (!GoFloat().IsMatch(fields[0]))
            {
                throw Violation(number, "value", $"\"{fields[0]}\" is not a float (+Inf, -Inf, NaN or decimal)");
            }

            long? timestamp = null;
            if (fields.Length == 2)
            {
                timestamp = Integer().IsMatch(fields[1]) && long.TryParse(fields[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms)
                    ? ms
                    : throw Violation(number, "timestamp", $"\"{fields[1]}\" is not an int64 of milliseconds");
            }

            var family = FamilyOf(name, number);
            var sample = new Sample(name, labels, ParseFloat(fields[0]), timestamp, family.Name, number);
            if (!_series.Add($"{name}{{{LabelText(labels.Select(l => (l.Key, l.Value)))}}}"))
            {
                throw Violation(number, "duplicate-series", $"{name} with these labels appeared before");
            }

            CheckSample(family, sample, number);
            family.HasSamples = true;
            _samples.Add(sample);
        }

        /// <summary>The open family when it owns the sample name; else a new untyped one, unless the name belongs to a closed family.</summary>
        private FamilyState FamilyOf(string name, int number)
        {
            if (_current is not null && _current.Owns(name))
            {
                return _current;
            }

            foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
            {
                if (name.EndsWith(suffix, StringComparison.Ordinal) && _families.TryGetValue(name[..^suffix.Length], out var owner) && owner.Owns(name))
                {
                    throw Violation(number, "family-contiguous", $"{name} belongs to {owner.Name}, which started at line {owner.Line} and was followed by another family");
                }
            }

            return Open(name, number);
        }

        private static Dictionary<string, string> Labels(string line, ref int position, int number)
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            position++;
            while (position < line.Length && line[position] != '}')
            {
                var equals = line.IndexOf('=', position);
                var name = equals < 0 ? line[position..] : line[position..equals];
                if (!LabelName().IsMatch(name) || name.StartsWith("__", StringComparison.Ordinal))
                {
                    throw Violation(number, "label-name", $"\"{name}\" is not a label name (or starts with the reserved __)");
                }

                if (equals + 1 >= line.Length || line[equals + 1] != '"')
                {
                    throw Violation(number, "sample-syntax", $"label {name}: expected =\"");
                }

                position = equals + 2;
                var value = new StringBuilder();
                while (position < line.Length && line[position] != '"')
                {
                    if (line[position] == '\\')
                    {
                        position++;
                        value.Append(position < line.Length ? line[position] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            var other => throw Violation(number, "label-escape", $"\\{other} in the value of {name} (only \\\\, \\\" and \\n)"),
                        } : throw Violation(number, "label-escape", "a lone backslash ends the line"));
                    }
                    else
                    {
                        value.Append(line[position]);
                    }

                    position++;
                }

                if (position >= line.Length)
                {
                    throw Violation(number, "sample-syntax", $"the value of {name} is not closed");
                }

                if (!labels.TryAdd(name, value.ToString()))
                {
                    throw Violation(number, "label-duplicate", $"label {name} twice in one sample");
                }

                position++;
                if (position < line.Length && line[position] == ',')
                {
                    position++;
                }
                else if (position >= line.Length || line[position] != '}')
                {
                    throw Violation(number, "sample-syntax", "expected , or } after a label");
                }
            }

            if (position >= line.Length)
            {
                throw Violation(number, "sample-syntax", "the label set is not closed");
            }

            position++;
            return labels;
        }

        private static void CheckSample(FamilyState family, Sample sample, int number)
        {
            if (family.Type == "counter" && (double.IsNaN(sample.Value) || sample.Value < 0))
            {
                throw Violation(number, "counter-value", $"counter {sample.Name} is {sample.Value}; counters are >= 0 and not NaN");
            }

            if (family.Type == "summary" && sample.Name == family.Name && !sample.Labels.ContainsKey("quantile"))
            {
                throw Violation(number, "summary-quantile", $"{sample.Name} has no quantile label");
            }

            if (family.Type != "histogram")
            {
                return;
            }

            var isBucket = sample.Name == family.Name + "_bucket";
            if (isBucket != sample.Labels.TryGetValue("le", out var le) || (le is not null && (!GoFloat().IsMatch(le) || le == "NaN")))
            {
                throw Violation(number, "bucket-le", isBucket ? $"{sample.Name} needs an le label that is a float other than NaN" : $"{sample.Name} must not have an le label");
            }

            if (isBucket && (double.IsNaN(sample.Value) || sample.Value < 0))
            {
                throw Violation(number, "bucket-value", $"bucket count {sample.Value} is negative or NaN");
            }
        }

        /// <summary>Per series (labels other than le): buckets cumulative, one le="+Inf" equal to _count, a _sum and a _count.</summary>
        private void CheckHistogram(FamilyState family)
        {
            var bySeries = _samples.Where(s => s.Family == family.Name)
                .GroupBy(s => LabelText(s.Labels.Where(l => l.Key != "le").Select(l => (l.Key, l.Value))), StringComparer.Ordinal);
            foreach (var series in bySeries)
            {
                var first = series.Min(s => s.Line);
                var buckets = series.Where(s => s.Name == family.Name + "_bucket").OrderBy(s => ParseFloat(s.Labels["le"])).ToList();
                for (var i = 1; i < buckets.Count; i++)
                {
                    if (ParseFloat(buckets[i].Labels["le"]) == ParseFloat(buckets[i - 1].Labels["le"]))
                    {
                        throw Violation(buckets[i].Line, "bucket-le", $"le=\"{buckets[i].Labels["le"]}\" repeats a bucket of the series at line {buckets[i - 1].Line}");
                    }

                    if (buckets[i].Value < buckets[i - 1].Value)
                    {
                        throw Violation(buckets[i].Line, "bucket-cumulative", $"bucket le=\"{buckets[i].Labels["le"]}\" = {buckets[i].Value} is below le=\"{buckets[i - 1].Labels["le"]}\" = {buckets[i - 1].Value}");
                    }
                }

                var infinity = buckets.LastOrDefault(b => double.IsPositiveInfinity(ParseFloat(b.Labels["le"])))
                    ?? throw Violation(first, "bucket-inf", $"series {{{series.Key}}} of {family.Name} has no le=\"+Inf\" bucket");
                _ = series.FirstOrDefault(s => s.Name == family.Name + "_sum")
                    ?? throw Violation(first, "histogram-sum", $"series {{{series.Key}}} of {family.Name} has no _sum");
                var count = series.FirstOrDefault(s => s.Name == family.Name + "_count")
                    ?? throw Violation(first, "histogram-count", $"series {{{series.Key}}} of {family.Name} has no _count");
                if (count.Value != infinity.Value)
                {
                    throw Violation(count.Line, "histogram-count", $"_count {count.Value} differs from the le=\"+Inf\" bucket {infinity.Value}");
                }
            }
        }
    }
}
