using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace WaitingRoom.Admission;

/// <summary>An HTML page with <c>{{name}}</c> placeholders, parsed once; values are HTML-encoded, unknown placeholders left as written.</summary>
internal sealed class PageTemplate
{
    /// <summary>Escapes what HTML needs (&lt; &gt; &amp; quotes) and leaves letters of every language readable.</summary>
    private static readonly HtmlEncoder s_encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private readonly (string Text, bool IsPlaceholder)[] _parts;

    private PageTemplate((string Text, bool IsPlaceholder)[] parts) => _parts = parts;

    public PageTemplate(string text)
    {
        var parts = new List<(string, bool)>();
        var index = 0;
        while (index < text.Length)
        {
            var open = text.IndexOf("{{", index, StringComparison.Ordinal);
            var close = open < 0 ? -1 : text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                parts.Add((text[index..], false));
                break;
            }

            var name = text[(open + 2)..close];
            if (name.Length == 0 || name.Length > 40 || !name.All(char.IsAsciiLetterOrDigit))
            {
                parts.Add((text[index..(open + 2)], false));
                index = open + 2;
                continue;
            }

            if (open > index)
            {
                parts.Add((text[index..open], false));
            }

            parts.Add((name, true));
            index = close + 2;
        }

        _parts = [.. parts];
    }

    public IEnumerable<string> Placeholders => _parts.Where(p => p.IsPlaceholder).Select(p => p.Text).Distinct(StringComparer.Ordinal);

    /// <summary>
    /// Renders with <paramref name="text"/>'s phrases first (every key of a translation file, and
    /// <c>lang</c>, <c>dir</c>, <c>scriptText</c>), then the page's own values.
    /// </summary>
    public string Render(Func<string, string?> valueOf, VisitorText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Render(name => text.Placeholder(name, valueOf) ?? valueOf(name));
    }

    /// <summary>
    /// A copy with every placeholder filled in that depends on none of <paramref name="changing"/>
    /// (a phrase that names one stays a placeholder too), so a page served on every request renders
    /// only what changes; <see cref="Render(Func{string, string?}, VisitorText)"/> of the copy gives
    /// what it gives of this template.
    /// </summary>
    public PageTemplate Bind(Func<string, string?> valueOf, VisitorText text, IReadOnlySet<string> changing)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = new List<(string Text, bool IsPlaceholder)>();
        foreach (var part in _parts)
        {
            var changes = changing.Contains(part.Text);
            var value = part.IsPlaceholder && !changes
                ? text.Placeholder(part.Text, name => (changes |= changing.Contains(name)) ? null : valueOf(name)) ?? valueOf(part.Text)
                : null;
            var literal = !part.IsPlaceholder ? part.Text : changes || value is null ? null : s_encoder.Encode(value);
            if (literal is null)
            {
                parts.Add(part);
            }
            else if (parts.Count > 0 && !parts[^1].IsPlaceholder)
            {
                parts[^1] = (parts[^1].Text + literal, false);
            }
            else
            {
                parts.Add((literal, false));
            }
        }

        return new PageTemplate([.. parts]);
    }

    public string Render(Func<string, string?> valueOf)
    {
        var html = new StringBuilder(4096);
        foreach (var (text, isPlaceholder) in _parts)
        {
            if (!isPlaceholder)
            {
                html.Append(text);
            }
            else if (valueOf(text) is { } value)
            {
                html.Append(s_encoder.Encode(value));
            }
            else
            {
                html.Append("{{").Append(text).Append("}}");
            }
        }

        return html.ToString();
    }
}
