using System.Globalization;

namespace WaitingRoom.Bench;

/// <summary>The options of one subcommand: <c>--name value</c> pairs and bare <c>--flag</c>s.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    public Arguments(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }

            var hasValue = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            _values[args[i][2..]] = hasValue ? args[++i] : null;
        }
    }

    public string Text(string name) =>
        _values.TryGetValue(name, out var value) && value is not null ? value : throw new ArgumentException($"--{name} is required");

    public string? OptionalText(string name) => _values.TryGetValue(name, out var value) ? value : null;

    public long Number(string name, long? fallback = null) =>
        OptionalText(name) is { } text ? long.Parse(text, CultureInfo.InvariantCulture) :
        fallback ?? throw new ArgumentException($"--{name} is required");

    public bool Flag(string name) => _values.ContainsKey(name);
}
