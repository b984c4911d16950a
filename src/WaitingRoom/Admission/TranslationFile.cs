using System.Text.Json;
using System.Text.RegularExpressions;

namespace WaitingRoom.Admission;

/// <summary>
/// One translation file: a flat JSON object of key → phrase (wwwroot/i18n/{language}.json).
/// Parsing keeps the file's order and says what is wrong instead of throwing, so an operator's
/// file with a typo still serves every phrase it does have.
/// </summary>
internal sealed partial class TranslationFile
{
    /// <summary>The prefix of the shipped files built into the assembly (WaitingRoom.csproj).</summary>
    public const string ResourcePrefix = "WaitingRoom.i18n.";

    private TranslationFile(Dictionary<string, string> phrases, string? error)
    {
        Phrases = phrases;
        Error = error;
    }

    /// <summary>Key → phrase, in the file's order; empty when the file could not be read as a whole.</summary>
    public IReadOnlyDictionary<string, string> Phrases { get; }

    /// <summary>Why the file is unusable (not JSON, not an object, a value that is not a string); null when it is.</summary>
    public string? Error { get; }

    /// <summary>A language of a file name: two or three lowercase letters (the primary subtag Accept-Language is matched on).</summary>
    public static bool IsLanguage(string name) => LanguageName().IsMatch(name);

    public static TranslationFile Parse(string json)
    {
        var phrases = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new TranslationFile(phrases, "it is not a JSON object");
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    return new TranslationFile([], $"the value of \"{property.Name}\" is not a string");
                }

                phrases[property.Name] = property.Value.GetString()!;
            }
        }
        catch (JsonException ex)
        {
            return new TranslationFile([], "it is not valid JSON: " + ex.Message);
        }

        return new TranslationFile(phrases, null);
    }

    /// <summary>The names in a phrase's <c>{name}</c> placeholders, each once, in order.</summary>
    public static IReadOnlyList<string> PlaceholdersOf(string phrase) =>
        [.. Placeholder().Matches(phrase).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// What is wrong with <paramref name="language"/>'s phrase of <paramref name="key"/> next to English's:
    /// other placeholders (a value that would not be filled in), or a direction other than ltr/rtl.
    /// </summary>
    public static string? Mismatch(string key, string phrase, string english)
    {
        if (key == VisitorText.DirectionKey)
        {
            return phrase is "ltr" or "rtl" ? null : "it must be \"ltr\" or \"rtl\"";
        }

        var mine = PlaceholdersOf(phrase).Order(StringComparer.Ordinal);
        var theirs = PlaceholdersOf(english).Order(StringComparer.Ordinal);
        return mine.SequenceEqual(theirs, StringComparer.Ordinal)
            ? null
            : $"its placeholders ({string.Join(", ", PlaceholdersOf(phrase).Select(p => "{" + p + "}"))}) differ from English's ({string.Join(", ", PlaceholdersOf(english).Select(p => "{" + p + "}"))})";
    }

    [GeneratedRegex(@"\{([A-Za-z][A-Za-z0-9]{0,39})\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex("^[a-z]{2,3}$")]
    private static partial Regex LanguageName();
}
