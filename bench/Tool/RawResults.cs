using System.Text.Json.Nodes;

namespace WaitingRoom.Bench;

/// <summary>
/// The raw measurements of one run: one JSON object per file in the raw folder, by file name.
/// A measure repeated in rounds has one file per round, <c>name.r1.json</c>, <c>name.r2.json</c>...:
/// <see cref="Number"/> is then the median over the rounds and <see cref="Total"/> the sum.
/// </summary>
internal sealed class RawResults
{
    private readonly SortedDictionary<string, JsonObject> _files = new(StringComparer.Ordinal);

    public RawResults(string folder)
    {
        foreach (var path in Directory.EnumerateFiles(folder, "*.json"))
        {
            var text = File.ReadAllText(path).Trim();
            if (text.Length > 0 && JsonNode.Parse(text) is JsonObject node)
            {
                _files[Path.GetFileNameWithoutExtension(path)] = node;
            }
        }
    }

    public IReadOnlyDictionary<string, JsonObject> Files => _files;

    public bool Has(string name) => Runs(name).Any();

    /// <summary>How many rounds measured <paramref name="name"/>.</summary>
    public int Rounds(string name) => Runs(name).Count();

    /// <summary>The median of a number over the rounds of a measure, or null when missing.</summary>
    public double? Number(string name, string field) => Median(Values(name, field));

    public double? Min(string name, string field)
    {
        var values = Values(name, field).ToList();
        return values.Count == 0 ? null : values.Min();
    }

    public double? Max(string name, string field)
    {
        var values = Values(name, field).ToList();
        return values.Count == 0 ? null : values.Max();
    }

    /// <summary>The sum of a count over the rounds of a measure, or null when missing.</summary>
    public double? Total(string name, string field)
    {
        var values = Values(name, field).ToList();
        return values.Count == 0 ? null : values.Sum();
    }

    /// <summary>The median over the rounds of one field divided by another, each round on its own, or null when missing.</summary>
    public double? MedianRatio(string name, string numerator, string denominator) =>
        Median(Runs(name)
            .Select(node => (A: (double?)node[numerator], B: (double?)node[denominator]))
            .Where(pair => pair.A is not null && pair.B is > 0)
            .Select(pair => pair.A!.Value / pair.B!.Value));

    /// <summary>
    /// The median of one field's ratio between two measures taken in the same rounds (a.r1 ÷ b.r1, a.r2 ÷ b.r2…),
    /// or null when they share no round: this host's speed drifts from round to round, and the two
    /// measures of one round ran seconds apart, so each round's ratio is nearly free of the drift.
    /// </summary>
    public double? PairedRatio(string a, string b, string field) =>
        Median(Rounds(a, field).Join(Rounds(b, field), x => x.Round, y => y.Round, (x, y) => (A: x.Value, B: y.Value))
            .Where(pair => pair.B > 0)
            .Select(pair => pair.A / pair.B));

    private static double? Median(IEnumerable<double> numbers)
    {
        var values = numbers.Order().ToList();
        if (values.Count == 0)
        {
            return null;
        }

        var middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    public string? Text(string name, string field) =>
        Runs(name).Select(node => node[field]).OfType<JsonValue>().Select(value => value.ToString()).FirstOrDefault();

    private IEnumerable<double> Values(string name, string field) =>
        Runs(name).Select(node => Double(node[field])).OfType<double>();

    private static double? Double(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<double>(out var number) ? number : null;

    private IEnumerable<(int Round, double Value)> Rounds(string name, string field) =>
        RoundRuns(name).Select(run => (run.Round, Value: Double(run.Node[field])))
            .Where(run => run.Value is not null)
            .Select(run => (run.Round, run.Value!.Value));

    /// <summary>A measure's runs: its single file, or one file per round (name.r1, name.r2...).</summary>
    private IEnumerable<JsonObject> Runs(string name) =>
        (_files.TryGetValue(name, out var single) ? [single] : Enumerable.Empty<JsonObject>()).Concat(RoundRuns(name).Select(run => run.Node));

    private IEnumerable<(int Round, JsonObject Node)> RoundRuns(string name) =>
        _files.Where(file => file.Key.StartsWith(name + ".r", StringComparison.Ordinal))
            .Select(file => (Ok: int.TryParse(file.Key.AsSpan(name.Length + 2), out var round), Round: round, Node: file.Value))
            .Where(run => run.Ok)
            .Select(run => (run.Round, run.Node));
}
