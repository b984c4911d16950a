using System.Buffers;
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

    // The literal parts as UTF-8 (null for a placeholder), so a page goes out without building a string.
    private readonly byte[]?[] _utf8;
    private readonly int _literalBytes;

    private PageTemplate((string Text, bool IsPlaceholder)[] parts)
    {
        _parts = parts;
        _utf8 = Array.ConvertAll(parts, part => part.IsPlaceholder ? null : Encoding.UTF8.GetBytes(part.Text));
        _literalBytes = _utf8.Sum(bytes => bytes?.Length ?? 0);
    }

    public PageTemplate(string text)
        : this(Parse(text))
    {
    }

    private static (string Text, bool IsPlaceholder)[] Parse(string text)
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

        return [.. parts];
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

    /// <summary><see cref="Render(Func{string, string?}, VisitorText)"/> as UTF-8 in a pooled buffer: what a response writes.</summary>
    public RenderedPage RenderUtf8(Func<string, string?> valueOf, VisitorText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return RenderUtf8(name => text.Placeholder(name, valueOf) ?? valueOf(name));
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
        using var page = RenderUtf8(valueOf);
        return Encoding.UTF8.GetString(page.Bytes.Span);
    }

    /// <summary>The page as UTF-8 in a buffer from the shared pool; dispose it once written.</summary>
    public RenderedPage RenderUtf8(Func<string, string?> valueOf)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_literalBytes + 512);
        var length = 0;
        for (var i = 0; i < _parts.Length; i++)
        {
            if (_utf8[i] is { } literal)
            {
                Append(ref buffer, ref length, literal);
                continue;
            }

            var name = _parts[i].Text;
            if (valueOf(name) is { } value)
            {
                Append(ref buffer, ref length, s_encoder.Encode(value));
            }
            else
            {
                Append(ref buffer, ref length, "{{"u8);
                Append(ref buffer, ref length, name);
                Append(ref buffer, ref length, "}}"u8);
            }
        }

        return new RenderedPage(buffer, length);
    }

    private static void Append(ref byte[] buffer, ref int length, ReadOnlySpan<byte> bytes)
    {
        Reserve(ref buffer, length, bytes.Length);
        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    private static void Append(ref byte[] buffer, ref int length, string text)
    {
        Reserve(ref buffer, length, Encoding.UTF8.GetMaxByteCount(text.Length));
        length += Encoding.UTF8.GetBytes(text, buffer.AsSpan(length));
    }

    private static void Reserve(ref byte[] buffer, int length, int more)
    {
        if (buffer.Length - length < more)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, length + more));
            buffer.AsSpan(0, length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }
    }
}

/// <summary>A rendered page: UTF-8 in a pooled buffer, returned to the pool on dispose.</summary>
internal readonly struct RenderedPage(byte[] buffer, int length) : IDisposable
{
    public ReadOnlyMemory<byte> Bytes => buffer.AsMemory(0, length);

    public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
}
