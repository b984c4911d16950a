using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;

namespace WaitingRoom.Admission;

/// <summary>
/// The room's own pages: queue (WR_QUEUE_PAGE or wwwroot/queue.html), outage (unavailable.html)
/// and closed (rejected.html), each rendered in the visitor's language from wwwroot/i18n/{language}.json.
/// Loaded once; a missing or unreadable page falls back to a built-in one with a logged warning,
/// so a visitor always gets a page.
/// </summary>
internal sealed partial class VisitorPages
{
    private const string BuiltInQueuePage = """
        <!doctype html><html lang="{{lang}}" dir="{{dir}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <noscript><meta http-equiv="refresh" content="{{refreshSeconds}}"></noscript><title>{{title}}</title></head>
        <body><main id="wr" data-status-url="{{statusUrl}}" data-target="{{target}}" data-poll="{{pollAfterSeconds}}" data-position="{{position}}" data-text="{{scriptText}}">
        <h1>{{title}}</h1><p aria-live="polite">{{placeLabel}}: <span id="wr-position">{{position}}</span> / {{queueLength}}.
        {{waitLabel}}: <span id="wr-wait">{{estimatedWait}}</span>.</p><p>{{keepOpen}}</p></main>
        <script src="{{assetsUrl}}/queue.js" defer></script></body></html>
        """;

    private const string BuiltInUnavailablePage = """
        <!doctype html><html lang="{{lang}}" dir="{{dir}}"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{{retryAfterSeconds}}">
        <title>{{unavailableTitle}}</title></head><body><main><h1>{{unavailableHeading}}</h1>
        <p>{{unavailableMessage}}</p>
        <p><a href="{{target}}">{{tryAgainNow}}</a></p></main></body></html>
        """;

    private const string BuiltInRejectedPage = """
        <!doctype html><html lang="{{lang}}" dir="{{dir}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <title>{{title}}</title></head><body><main><h1>{{title}}</h1><p>{{message}}</p>
        <p>{{rejectedFull}}</p><p>{{rejectedLater}}</p>
        <p><a href="{{target}}">{{tryAgain}}</a></p></main></body></html>
        """;

    /// <summary>The "queue full" page (WR_MAX_QUEUE) when wwwroot has none.</summary>
    private const string BuiltInFullPage = """
        <!doctype html><html lang="{{lang}}" dir="{{dir}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <title>{{title}}</title></head><body><main><h1>{{title}}</h1><p>{{message}}</p><p>{{fullMessage}}</p>
        <p><a href="{{target}}">{{tryAgain}}</a></p></main></body></html>
        """;

    private readonly PageTemplate _queue;
    private readonly PageTemplate _challenge;
    private readonly PageTemplate _rejected;
    private readonly PageTemplate _unavailable;
    private readonly PageTemplate _full;
    private readonly Dictionary<string, VisitorText> _texts;

    public VisitorPages(IOptions<WaitingRoomOptions> options, IHostEnvironment environment, ILogger<VisitorPages> logger)
    {
        var root = WebRootOf(environment);
        var webRoot = new PhysicalFileProvider(root);
        var custom = options.Value.QueuePage;
        _queue = Load(custom, webRoot, "queue.html", BuiltInQueuePage, logger);
        _unavailable = Load(null, webRoot, "unavailable.html", BuiltInUnavailablePage, logger);
        _rejected = Load(null, webRoot, "rejected.html", BuiltInRejectedPage, logger);
        _full = Load(null, webRoot, "full.html", BuiltInFullPage, logger);

        // WR_POW's challenge is the shipped queue page in its challenge state: its script solves the
        // challenge, which a custom WR_QUEUE_PAGE need not know how to do.
        _challenge = custom is null ? _queue : Load(null, webRoot, "queue.html", BuiltInQueuePage, logger);

        // One page, rendered in every language of wwwroot/i18n; a custom WR_QUEUE_PAGE is written in
        // one language, so it is served as English unless WR_QUEUE_LANGUAGE names another.
        _texts = LoadTranslations(root, logger);
        if (options.Value.QueueLanguage is { } forced && !_texts.ContainsKey(forced) && VisitorText.BuiltIn(forced) is { } shipped)
        {
            _texts[forced] = shipped;
        }

        Languages = custom is null
            ? [.. _texts.Keys]
            : [.. _texts.Keys.Where(language => language == "en" || language == options.Value.QueueLanguage)];
        WarnAboutPagesPerLanguage(root, logger);
    }

    /// <summary>Languages the pages are offered in; "en" always.</summary>
    public IReadOnlyCollection<string> Languages { get; }

    /// <summary>The room's text in <paramref name="language"/> (the operator's file over the shipped one), else English.</summary>
    public VisitorText Text(string language) => _texts.GetValueOrDefault(language) ?? _texts["en"];

    public PageTemplate Queue => _queue;

    /// <summary>The shipped queue page, for WR_POW's challenge state.</summary>
    public PageTemplate Challenge => _challenge;

    /// <summary>The "closed / sold out" page of a full room in reject mode.</summary>
    public PageTemplate Rejected => _rejected;

    public PageTemplate Unavailable => _unavailable;

    /// <summary>The "queue full" page: the queue holds WR_MAX_QUEUE waiters, a newcomer gets no place.</summary>
    public PageTemplate Full => _full;

    private static PageTemplate? TryLoad(PhysicalFileProvider webRoot, string name)
    {
        var file = webRoot.GetFileInfo(name);
        if (!file.Exists || file.IsDirectory)
        {
            return null;
        }

        try
        {
            using var reader = new StreamReader(file.CreateReadStream());
            return new PageTemplate(reader.ReadToEnd());
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The folder the room's own pages and assets come from: the app's wwwroot.</summary>
    public static string WebRootOf(IHostEnvironment environment) => Path.Combine(environment.ContentRootPath, "wwwroot");

    private static PageTemplate Load(string? customPath, PhysicalFileProvider webRoot, string name, string builtIn, ILogger logger)
    {
        if (customPath is not null)
        {
            try
            {
                var custom = new PageTemplate(File.ReadAllText(customPath));
                if (custom.Placeholders.Contains("position", StringComparer.Ordinal))
                {
                    return custom;
                }

                LogCustomPageUnusable(logger, customPath, "it has no {{position}} placeholder");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                LogCustomPageUnusable(logger, customPath, ex.Message);
            }
        }

        if (TryLoad(webRoot, name) is { } page)
        {
            return page;
        }

        LogPageUnreadable(logger, name, "missing or unreadable in " + webRoot.Root);
        return new PageTemplate(builtIn);
    }

    [LoggerMessage(EventId = EventIds.CustomQueuePageUnusable, Level = LogLevel.Warning, EventName = nameof(EventIds.CustomQueuePageUnusable),
        Message = "WR_QUEUE_PAGE '{Path}' cannot be used ({Reason}); wwwroot/queue.html (or, failing that, a minimal built-in page) is served instead.")]
    private static partial void LogCustomPageUnusable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = EventIds.PageUnreadable, Level = LogLevel.Warning, EventName = nameof(EventIds.PageUnreadable),
        Message = "Page {Name} could not be read ({Reason}); a minimal built-in page is served instead.")]
    private static partial void LogPageUnreadable(ILogger logger, string name, string reason);
}
