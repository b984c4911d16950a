using System.Collections.Frozen;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace WaitingRoom.Admission;

/// <summary>
/// The words of the room's pages in one language: the phrases of one translation file
/// (wwwroot/i18n/{language}.json). The shipped files are also built into the assembly, so English
/// (the fallback of every missing key) is there even when an operator's wwwroot has no i18n folder.
/// Every key is also a page placeholder (<c>{{placeLabel}}</c>); a phrase may name a page value as
/// <c>{retryAfterSeconds}</c> (filled in by the server) or hold <c>{n}</c> (filled in by the script).
/// </summary>
internal sealed class VisitorText
{
    /// <summary>The keys the page's script needs, handed to it in the page (<c>data-text</c>), not by a second request.</summary>
    public static readonly IReadOnlyList<string> ScriptKeys =
    [
        "notice", "calculating", "lessThanAMinute", "aboutOneMinute", "aboutMinutes", "aboutOneHour", "aboutHours",
        "aheadOne", "aheadMany", "percent", "justJoined", "opensOn", "powWorking", "powSending", "powFailed",
        "yourTurnTitle", "yourTurnBody", "notifyOn", "notifyBlocked",
    ];

    /// <summary>The placeholder of the script's phrases as one JSON object (HTML-encoded in an attribute, like every value).</summary>
    public const string ScriptTextPlaceholder = "scriptText";

    /// <summary>The key of the writing direction: "ltr" or "rtl"; also the page placeholder <c>{{dir}}</c>.</summary>
    public const string DirectionKey = "dir";

    private static readonly JsonSerializerOptions s_scriptJson = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };

    private static readonly Lazy<FrozenDictionary<string, VisitorText>> s_builtIn = new(LoadBuiltIn);

    private readonly FrozenDictionary<string, string> _phrases;

    // The {value} names of each phrase that has any (but {n}, the script's), found once: pages are filled on every request.
    private readonly FrozenDictionary<string, (string Name, string Token)[]> _fills;
    private string? _scriptJson;

    public VisitorText(string language, IReadOnlyDictionary<string, string> phrases)
    {
        ArgumentNullException.ThrowIfNull(phrases);
        Language = language;
        _phrases = phrases.ToFrozenDictionary(StringComparer.Ordinal);
        _fills = _phrases
            .Select(pair => (pair.Key, Fills: TranslationFile.PlaceholdersOf(pair.Value).Where(name => name != "n").Select(name => (name, "{" + name + "}")).ToArray()))
            .Where(phrase => phrase.Fills.Length > 0)
            .ToFrozenDictionary(phrase => phrase.Key, phrase => phrase.Fills, StringComparer.Ordinal);
    }

    /// <summary>Every key of a translation file, in the order of the shipped English file.</summary>
    public static IReadOnlyList<string> Keys { get; } = [.. TranslationFile.Parse(BuiltInSource("en")).Phrases.Keys];

    /// <summary>The shipped English text: the fallback of every missing key and language.</summary>
    public static VisitorText English => s_builtIn.Value["en"];

    public static VisitorText German => s_builtIn.Value["de"];

    /// <summary>Every language the room ships text for; English first.</summary>
    public static IReadOnlyList<VisitorText> All { get; } = [English, .. s_builtIn.Value.Values.Where(t => t.Language != "en").OrderBy(t => t.Language, StringComparer.Ordinal)];

    /// <summary>The shipped text of <paramref name="language"/>, or English (an operator's own files: <see cref="VisitorPages.Text"/>).</summary>
    public static VisitorText Of(string language) => s_builtIn.Value.GetValueOrDefault(language) ?? English;

    /// <summary>The shipped text of <paramref name="language"/>, if the room ships one.</summary>
    public static VisitorText? BuiltIn(string language) => s_builtIn.Value.GetValueOrDefault(language);

    public string Language { get; }

    /// <summary>"rtl" for a right-to-left language, else "ltr".</summary>
    public string Direction => this[DirectionKey];

    /// <summary>The phrase of <paramref name="key"/> (a key of <see cref="Keys"/>).</summary>
    public string this[string key] => _phrases[key];

    public bool TryGet(string key, out string phrase) => _phrases.TryGetValue(key, out phrase!);

    public string Calculating => this["calculating"];

    public string LessThanAMinute => this["lessThanAMinute"];

    public string AboutOneMinute => this["aboutOneMinute"];

    public string AboutMinutes => this["aboutMinutes"];

    public string AboutOneHour => this["aboutOneHour"];

    public string AboutHours => this["aboutHours"];

    /// <summary>"person ahead of you" (key aheadOne: the page's own {{peopleAhead}} is the number).</summary>
    public string PersonAhead => this["aheadOne"];

    /// <summary>"people ahead of you" (key aheadMany).</summary>
    public string PeopleAhead => this["aheadMany"];

    /// <summary>Heading of the queue page when the room sets no title.</summary>
    public string QueueTitle => this["queueTitle"];

    /// <summary>Heading of the closed page (reject mode) when the room sets no title.</summary>
    public string RejectedTitle => this["rejectedTitle"];

    /// <summary>How a random draw works.</summary>
    public string RandomNote => this["randomNote"];

    /// <summary>Why nobody gets in (queue-all).</summary>
    public string QueueAllNote => this["queueAllNote"];

    /// <summary>The pre-queue of an event that shuffles at its start (the page shows the start time beside it).</summary>
    public string PrequeueShuffledNote => this["prequeueShuffledNote"];

    /// <summary>The pre-queue of an event that keeps arrival order.</summary>
    public string PrequeueInOrderNote => this["prequeueInOrderNote"];

    /// <summary>Heading of the "queue full" page (WR_MAX_QUEUE).</summary>
    public string FullTitle => this["fullTitle"];

    public string FullMessage => this["fullMessage"];

    /// <summary>The access-code form and its answers.</summary>
    public string CodeLabel => this["codeLabel"];

    public string CodeButton => this["codeButton"];

    public string CodeInvalid => this["codeInvalid"];

    public string CodeUsedUp => this["codeUsedUp"];

    public string CodeExpired => this["codeExpired"];

    public string CodeTooMany => this["codeTooMany"];

    public string CodeAccepted => this["codeAccepted"];

    /// <summary>The link onwards on an access code's page.</summary>
    public string CodeContinue => this["codeContinue"];

    /// <summary>The page's title once the visitor is admitted while the tab is in the background.</summary>
    public string YourTurnTitle => this["yourTurnTitle"];

    /// <summary>"person ahead of you" or "people ahead of you" for <paramref name="ahead"/>.</summary>
    public string AheadLabel(long ahead) => ahead == 1 ? PersonAhead : PeopleAhead;

    /// <summary>Words for an estimate in seconds; null means there is no data yet (59.5 minutes and more are "about 1 hour", not "about 60 minutes").</summary>
    public string DescribeWait(long? seconds) => seconds switch
    {
        null => Calculating,
        < 60 => LessThanAMinute,
        < 90 => AboutOneMinute,
        < 3570 => Count(AboutMinutes, ((int)Math.Round(seconds.Value / 60.0)).ToString(CultureInfo.InvariantCulture)),
        < 5400 => AboutOneHour,
        _ => Count(AboutHours, Math.Round(seconds.Value / 3600.0, 1).ToString(CultureInfo.InvariantCulture)),
    };

    /// <summary>
    /// The value of page placeholder <paramref name="name"/> when it is this text's (a key, <c>lang</c>,
    /// <c>dir</c> or <c>scriptText</c>), its <c>{value}</c> names filled from <paramref name="valueOf"/>; else null.
    /// </summary>
    public string? Placeholder(string name, Func<string, string?> valueOf)
    {
        if (name == "lang")
        {
            return Language;
        }

        if (name == ScriptTextPlaceholder)
        {
            return _scriptJson ??= JsonSerializer.Serialize(ScriptKeys.ToDictionary(key => key, key => this[key]), s_scriptJson);
        }

        if (!_phrases.TryGetValue(name, out var phrase))
        {
            return null;
        }

        // Each {name} that valueOf knows is replaced; {n} and unknown names stay for the script.
        if (_fills.TryGetValue(name, out var fills))
        {
            foreach (var (placeholder, token) in fills)
            {
                if (valueOf(placeholder) is { } filled)
                {
                    phrase = phrase.Replace(token, filled, StringComparison.Ordinal);
                }
            }
        }

        return phrase;
    }

    private static string Count(string phrase, string number) => phrase.Replace("{n}", number, StringComparison.Ordinal);

    /// <summary>WR_QUEUE_LANGUAGE when offered, else the best match of Accept-Language among <paramref name="offered"/>, else English.</summary>
    public static string Choose(HttpRequest request, string? forced, IReadOnlyCollection<string> offered)
    {
        if (forced is not null && offered.Contains(forced))
        {
            return forced;
        }

        var header = request.Headers.AcceptLanguage;
        if (header.Count == 0 || !StringWithQualityHeaderValue.TryParseList(header, out var ranges))
        {
            return "en";
        }

        string? best = null;
        double bestQuality = 0;
        foreach (var range in ranges)
        {
            var quality = range.Quality ?? 1.0;
            var tag = range.Value.Value ?? "";
            var primary = tag.Split('-')[0].ToLowerInvariant();
            if (quality > bestQuality && offered.Contains(primary))
            {
                best = primary;
                bestQuality = quality;
            }
        }

        return best ?? "en";
    }

    /// <summary>The text of a shipped translation file, as built into the assembly.</summary>
    internal static string BuiltInSource(string language)
    {
        using var stream = typeof(VisitorText).Assembly.GetManifestResourceStream(TranslationFile.ResourcePrefix + language + ".json")
            ?? throw new InvalidOperationException($"The built-in translation '{language}' is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static FrozenDictionary<string, VisitorText> LoadBuiltIn()
    {
        var texts = new Dictionary<string, VisitorText>(StringComparer.Ordinal);
        foreach (var resource in typeof(VisitorText).Assembly.GetManifestResourceNames())
        {
            if (resource.StartsWith(TranslationFile.ResourcePrefix, StringComparison.Ordinal) && resource.EndsWith(".json", StringComparison.Ordinal))
            {
                var language = resource[TranslationFile.ResourcePrefix.Length..^".json".Length];
                texts[language] = new VisitorText(language, TranslationFile.Parse(BuiltInSource(language)).Phrases);
            }
        }

        return texts.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
