using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;

namespace WaitingRoom.Admission;

/// <summary>
/// The room's own pages, per language: queue (WR_QUEUE_PAGE or wwwroot/queue.html), outage
/// (unavailable.html) and closed (rejected.html). Loaded once; a missing or unreadable page falls
/// back to a built-in one with a logged warning, so a visitor always gets a page.
/// </summary>
internal sealed partial class VisitorPages
{
    private const string BuiltInQueuePage = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <noscript><meta http-equiv="refresh" content="{{refreshSeconds}}"></noscript><title>You are in the queue</title></head>
        <body><main id="wr" data-status-url="{{statusUrl}}" data-target="{{target}}" data-poll="{{pollAfterSeconds}}" data-position="{{position}}">
        <h1>You're in the queue</h1><p aria-live="polite">Your position: <span id="wr-position">{{position}}</span> of {{queueLength}}.
        Estimated wait: <span id="wr-wait">{{estimatedWait}}</span>.</p><p>Keep this page open; it moves on by itself.</p></main>
        <script src="{{assetsUrl}}/queue.js" defer></script></body></html>
        """;

    private const string BuiltInUnavailablePage = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{{retryAfterSeconds}}">
        <title>Temporarily unavailable</title></head><body><main><h1>We'll be right back</h1>
        <p>The site is busy or briefly unavailable. This page tries again in {{retryAfterSeconds}} seconds.</p>
        <p><a href="{{target}}">Try again now</a></p></main></body></html>
        """;

    private const string BuiltInRejectedPage = """
        <!doctype html><html lang="{{lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <title>{{title}}</title></head><body><main><h1>{{title}}</h1><p>{{message}}</p>
        <p>The site is full and is not keeping a queue right now. Please try again later.</p>
        <p><a href="{{target}}">Try again</a></p></main></body></html>
        """;

    /// <summary>The "queue full" page (WR_MAX_QUEUE) when wwwroot has none: the strings come from <see cref="VisitorText"/>.</summary>
    private const string BuiltInFullPage = """
        <!doctype html><html lang="{{lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <title>{{title}}</title></head><body><main><h1>{{title}}</h1><p>{{message}}</p><p>{{fullMessage}}</p>
        <p><a href="{{target}}">Try again</a></p></main></body></html>
        """;

    private static readonly string[] s_names = ["queue", "unavailable", "rejected", "full"];

    private readonly Dictionary<(string Name, string Language), PageTemplate> _pages = [];

    public VisitorPages(IOptions<WaitingRoomOptions> options, IHostEnvironment environment, ILogger<VisitorPages> logger)
    {
        var webRoot = new PhysicalFileProvider(WebRootOf(environment));
        var custom = options.Value.QueuePage;
        _pages[("queue", "en")] = Load(custom, webRoot, "queue.html", BuiltInQueuePage, logger);
        _pages[("unavailable", "en")] = Load(null, webRoot, "unavailable.html", BuiltInUnavailablePage, logger);
        _pages[("rejected", "en")] = Load(null, webRoot, "rejected.html", BuiltInRejectedPage, logger);
        _pages[("full", "en")] = Load(null, webRoot, "full.html", BuiltInFullPage, logger);

        // Other languages come from wwwroot/{name}.{language}.html; a custom WR_QUEUE_PAGE is one page for all.
        foreach (var text in VisitorText.All.Skip(1))
        {
            foreach (var name in s_names)
            {
                if ((custom is null || name != "queue") && TryLoad(webRoot, $"{name}.{text.Language}.html") is { } page)
                {
                    _pages[(name, text.Language)] = page;
                }
            }
        }

        // WR_POW's challenge is the shipped queue page in its challenge state: its script solves the
        // challenge, which a custom WR_QUEUE_PAGE need not know how to do.
        _pages[("challenge", "en")] = custom is null ? _pages[("queue", "en")] : Load(null, webRoot, "queue.html", BuiltInQueuePage, logger);
        foreach (var text in VisitorText.All.Skip(1))
        {
            if (TryLoad(webRoot, $"queue.{text.Language}.html") is { } page)
            {
                _pages[("challenge", text.Language)] = page;
            }
        }

        Languages = [.. _pages.Keys.Where(key => key.Name == "queue").Select(key => key.Language)];
    }

    /// <summary>Languages the queue page is offered in; "en" always.</summary>
    public IReadOnlyCollection<string> Languages { get; }

    public PageTemplate Queue(string language) => Page("queue", language);

    /// <summary>The shipped queue page, for WR_POW's challenge state.</summary>
    public PageTemplate Challenge(string language) => Page("challenge", language);

    /// <summary>The "closed / sold out" page of a full room in reject mode.</summary>
    public PageTemplate Rejected(string language) => Page("rejected", language);

    public PageTemplate Unavailable(string language) => Page("unavailable", language);

    /// <summary>The "queue full" page: the queue holds WR_MAX_QUEUE waiters, a newcomer gets no place.</summary>
    public PageTemplate Full(string language) => Page("full", language);

    private PageTemplate Page(string name, string language) => _pages.GetValueOrDefault((name, language)) ?? _pages[(name, "en")];

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
