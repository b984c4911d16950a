using Microsoft.Extensions.Logging;

namespace WaitingRoom.Admission;

/// <summary>The translation files of wwwroot/i18n: read once at start-up, every gap filled and named in a warning.</summary>
internal sealed partial class VisitorPages
{
    /// <summary>The folder of the translation files under wwwroot.</summary>
    public const string TranslationFolder = "i18n";

    /// <summary>
    /// The text of every language with a file in <c>{webRoot}/i18n</c>, and English always (the
    /// shipped text when the folder has no en.json). A key an operator's file lacks, or whose phrase
    /// cannot be used, comes from the shipped file of that language, else from English; an unknown
    /// key is ignored; each is named in a warning at start-up, so a page never shows a hole.
    /// </summary>
    internal static Dictionary<string, VisitorText> LoadTranslations(string webRoot, ILogger logger)
    {
        var texts = new Dictionary<string, VisitorText>(StringComparer.Ordinal);
        var folder = Path.Combine(webRoot, TranslationFolder);
        var files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal).ToArray() : [];
        foreach (var path in files)
        {
            var display = TranslationFolder + "/" + Path.GetFileName(path);
            var language = Path.GetFileNameWithoutExtension(path);
            if (!TranslationFile.IsLanguage(language))
            {
                LogTranslationUnusable(logger, display, "its name is not a language code of two or three lowercase letters, as in fr.json", "nothing is served from it");
                continue;
            }

            var shipped = VisitorText.BuiltIn(language);
            string? error;
            TranslationFile? file = null;
            try
            {
                file = TranslationFile.Parse(File.ReadAllText(path));
                error = file.Error;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error = ex.Message;
            }

            if (error is not null || file is null)
            {
                LogTranslationUnusable(logger, display, error ?? "unreadable", shipped is null ? language + " is not offered" : "the shipped " + language + " text is served");
                if (shipped is not null)
                {
                    texts[language] = shipped;
                }

                continue;
            }

            texts[language] = Complete(language, display, file, shipped ?? VisitorText.English, logger);
        }

        texts.TryAdd("en", VisitorText.English);
        return texts;
    }

    /// <summary>The file's phrases, each gap filled from <paramref name="fallback"/> and named in a warning.</summary>
    private static VisitorText Complete(string language, string display, TranslationFile file, VisitorText fallback, ILogger logger)
    {
        var phrases = new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var key in VisitorText.Keys)
        {
            if (!file.Phrases.TryGetValue(key, out var phrase))
            {
                missing.Add(key);
                phrases[key] = fallback[key];
            }
            else if (TranslationFile.Mismatch(key, phrase, VisitorText.English[key]) is { } problem)
            {
                LogTranslationPhraseUnusable(logger, display, key, problem, FallbackName(language, fallback));
                phrases[key] = fallback[key];
            }
            else
            {
                phrases[key] = phrase;
            }
        }

        if (missing.Count > 0)
        {
            LogTranslationIncomplete(logger, display, string.Join(", ", missing), FallbackName(language, fallback));
        }

        var unknown = file.Phrases.Keys.Where(key => !VisitorText.Keys.Contains(key, StringComparer.Ordinal)).ToArray();
        if (unknown.Length > 0)
        {
            LogTranslationUnknownKeys(logger, display, string.Join(", ", unknown));
        }

        return new VisitorText(language, phrases);
    }

    private static string FallbackName(string language, VisitorText fallback) =>
        fallback.Language == language ? "the shipped " + language + " text" : "English";

    /// <summary>A page per language (queue.de.html, before the translation files) is no longer read: said once, so an upgrade is not a silent change.</summary>
    private static void WarnAboutPagesPerLanguage(string webRoot, ILogger logger)
    {
        if (!Directory.Exists(webRoot))
        {
            return;
        }

        foreach (var path in Directory.GetFiles(webRoot, "*.*.html").Order(StringComparer.Ordinal))
        {
            var parts = Path.GetFileName(path).Split('.');
            if (parts.Length == 3 && (parts[0] is "queue" or "rejected" or "unavailable") && TranslationFile.IsLanguage(parts[1]))
            {
                LogPagePerLanguageIgnored(logger, Path.GetFileName(path), parts[0], parts[1]);
            }
        }
    }

    [LoggerMessage(EventId = EventIds.TranslationIncomplete, Level = LogLevel.Warning, EventName = nameof(EventIds.TranslationIncomplete),
        Message = "Translation {File} has no phrase for {Keys}; {Fallback} is served for them.")]
    private static partial void LogTranslationIncomplete(ILogger logger, string file, string keys, string fallback);

    [LoggerMessage(EventId = EventIds.TranslationUnusable, Level = LogLevel.Warning, EventName = nameof(EventIds.TranslationUnusable),
        Message = "Translation {File} cannot be used ({Reason}); {Outcome}.")]
    private static partial void LogTranslationUnusable(ILogger logger, string file, string reason, string outcome);

    [LoggerMessage(EventId = EventIds.TranslationUnknownKeys, Level = LogLevel.Warning, EventName = nameof(EventIds.TranslationUnknownKeys),
        Message = "Translation {File} has keys the pages do not use ({Keys}); they are ignored (a misspelt key?).")]
    private static partial void LogTranslationUnknownKeys(ILogger logger, string file, string keys);

    [LoggerMessage(EventId = EventIds.TranslationPhraseUnusable, Level = LogLevel.Warning, EventName = nameof(EventIds.TranslationPhraseUnusable),
        Message = "Translation {File}: the phrase of {Key} cannot be used ({Reason}); {Fallback} is served for it.")]
    private static partial void LogTranslationPhraseUnusable(ILogger logger, string file, string key, string reason, string fallback);

    [LoggerMessage(EventId = EventIds.PagePerLanguageIgnored, Level = LogLevel.Warning, EventName = nameof(EventIds.PagePerLanguageIgnored),
        Message = "{File} is no longer read: {Page}.html is rendered in every language from i18n/{Language}.json (move its phrases there).")]
    private static partial void LogPagePerLanguageIgnored(ILogger logger, string file, string page, string language);
}
