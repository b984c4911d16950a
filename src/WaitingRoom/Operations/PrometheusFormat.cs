using System.Globalization;
using System.Text;

namespace WaitingRoom.Operations;

/// <summary>
/// The text format 0.0.4's rules for names, escaping and numbers, as the
/// <see cref="PrometheusExporter"/> applies them to instrument names, descriptions and tags.
/// </summary>
internal static class PrometheusFormat
{
    /// <summary>The instrument name with every character outside <c>[a-zA-Z0-9_:]</c> as '_' and a leading digit prefixed by '_'.</summary>
    public static string MetricName(string name) => Sanitize(name, allowColon: true);

    /// <summary>
    /// The tag key with every character outside <c>[a-zA-Z0-9_]</c> as '_', a leading digit prefixed
    /// by '_', and leading underscores cut to one (names starting <c>__</c> are reserved).
    /// </summary>
    public static string LabelName(string key)
    {
        var name = Sanitize(key, allowColon: false);
        return name.StartsWith("__", StringComparison.Ordinal) ? "_" + name.TrimStart('_') : name;
    }

    /// <summary>
    /// The label text of a series (<c>a="1",b="2"</c>), sorted by label name. When two tags give one
    /// label name, the first in ordinal order of key then value wins; a tag named
    /// <paramref name="reserved"/> (a histogram's <c>le</c>) becomes <c>exported_le</c>.
    /// </summary>
    public static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags, string? reserved)
    {
        if (tags.IsEmpty)
        {
            return "";
        }

        var labels = new List<(string Name, string Key, string Value)>(tags.Length);
        foreach (var tag in tags)
        {
            var name = LabelName(tag.Key ?? "");
            labels.Add((name == reserved ? "exported_" + name : name, tag.Key ?? "", LabelValue(tag.Value)));
        }

        var text = new StringBuilder();
        string? previous = null;
        foreach (var (name, _, value) in labels.OrderBy(l => l.Name, StringComparer.Ordinal).ThenBy(l => l.Key, StringComparer.Ordinal).ThenBy(l => l.Value, StringComparer.Ordinal))
        {
            if (name == previous)
            {
                continue;
            }

            text.Append(text.Length == 0 ? "" : ",").Append(name).Append("=\"").Append(Escape(value, quote: true)).Append('"');
            previous = name;
        }

        return text.ToString();
    }

    /// <summary>The description for a HELP line: backslash and line breaks escaped.</summary>
    public static string EscapeHelp(string help) => Escape(help, quote: false);

    /// <summary>A whole number in invariant culture, without decimals.</summary>
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A double in its shortest round-trip form, invariant culture; <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c> as Go writes them.</summary>
    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>Writes one sample line: <c>name{labels,le="…"} value</c> and a line feed.</summary>
    public static void WriteSample(TextWriter writer, string name, string labels, string? le, string value)
    {
        writer.Write(name);
        if (labels.Length > 0 || le is not null)
        {
            writer.Write('{');
            writer.Write(labels);
            if (le is not null)
            {
                writer.Write(labels.Length > 0 ? ",le=\"" : "le=\"");
                writer.Write(le);
                writer.Write('"');
            }

            writer.Write('}');
        }

        writer.Write(' ');
        writer.Write(value);
        writer.Write('\n');
    }

    private static string LabelValue(object? value) => value switch
    {
        null => "",
        string text => text,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Sanitize(string name, bool allowColon)
    {
        var text = new StringBuilder(name.Length + 1);
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            text.Append('_');
        }

        foreach (var c in name)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_');
        }

        return text.ToString();
    }

    /// <summary>Backslash, line feed (a CR or CRLF counts as one) and, in label values, the double quote.</summary>
    private static string Escape(string text, bool quote)
    {
        var escaped = text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Replace("\n", "\\n", StringComparison.Ordinal);
        return quote ? escaped.Replace("\"", "\\\"", StringComparison.Ordinal) : escaped;
    }
}
