using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Admission;

/// <summary>
/// What a visitor who is not forwarded gets: the queue page (GET/HEAD from a browser), the JSON
/// status (Accept: application/json, /_wr/status), a 503 with Retry-After for other methods (no
/// body is dropped silently), the closed page of reject mode, the 429 and the outage answer.
/// </summary>
internal sealed partial class VisitorResponses(VisitorPages pages, PromotionRates rates, TimeProvider time, IOptions<WaitingRoomOptions> options)
{
    /// <summary>Where the room's own assets (queue.css, queue.js) are served.</summary>
    public const string AssetsPath = "/_wr/assets";

    public const string StatusPath = "/_wr/status";

    /// <summary>Seconds a client is told to wait while the store is down.</summary>
    public const int OutageRetryAfterSeconds = 5;

    private const string JsonType = "application/json; charset=utf-8";

    /// <summary>X-Robots-Tag of every answer the room itself gives: none is a page of the site to index.</summary>
    public const string NoIndex = "noindex";

    public const string RobotsHeader = "X-Robots-Tag";

    private readonly WaitingRoomOptions _options = options.Value;
    private readonly int _basePollSeconds = Math.Max(1, (int)Math.Ceiling(options.Value.ReleaseInterval.TotalSeconds));

    /// <summary>Seconds between polls at most while the promotion rate is known: a hidden tab's timers run about once a minute anyway.</summary>
    public const int MaxPollSeconds = 60;

    /// <summary>
    /// Seconds until the next poll: the release interval near the head of the queue, longer further
    /// back (a million waiters must not poll every two seconds), well within WR_QUEUE_TTL (a third of it at most).
    /// With the room's promotion rate known, a quarter of the expected wait (position ÷ rate), up to
    /// <see cref="MaxPollSeconds"/>, so the polls of the whole queue follow the rate, not its length; without,
    /// the release interval times the position's digits, up to 30.
    /// </summary>
    /// <param name="position">The visitor's place in line.</param>
    /// <param name="queueTtl">The room's WR_QUEUE_TTL when it has its own (rooms file); else the variable's.</param>
    /// <param name="promotedPerSecond">The room's promotion rate, when known and meaningful for this position (not in random mode).</param>
    public int PollAfterSeconds(long position, TimeSpan? queueTtl = null, double? promotedPerSecond = null)
    {
        var third = (int)((queueTtl ?? _options.QueueTtl).TotalSeconds / 3);
        if (promotedPerSecond is > 0 and var rate)
        {
            var quarter = Math.Ceiling(Math.Max(1, position) / rate / 4);
            var max = Math.Clamp(third, 1, MaxPollSeconds);
            return Math.Min(max, Math.Max(_basePollSeconds, quarter >= max ? max : (int)quarter));
        }

        var digits = position < 10 ? 1 : (int)Math.Floor(Math.Log10(position)) + 1;
        return Math.Min(_basePollSeconds * digits, Math.Clamp(third, 1, 30));
    }

    /// <summary>The poll interval of a waiter at <paramref name="position"/> in <paramref name="room"/>, from its promotion rate where the line moves in order.</summary>
    private int PollAfterSeconds(long position, RoomSettings room, RoomPhase phase) =>
        PollAfterSeconds(position, room.QueueTtl, room.PolicyOf(phase).Mode is QueueMode.Fifo or QueueMode.Reject ? rates.For(room.Name).RatePerSecond() : null);

    /// <summary>Answers a request from a visitor who waits in <paramref name="room"/>.</summary>
    public Task WriteQueuedAsync(HttpContext context, AdmissionResult result, RoomSettings room, RoomPhase phase)
    {
        var poll = PollAfterSeconds(result.Position, room, phase);
        var policy = room.PolicyOf(phase);
        var wait = EstimateSeconds(room, phase, result);
        if (WantsJson(context.Request))
        {
            // Clients that sent a body (or asked for JSON) learn exactly where they stand.
            Begin(context.Response, IsRead(context.Request) ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, poll);
            return WriteStatusJsonAsync(context, result, poll, wait, room, phase);
        }

        // WR_QUEUE_STATUS: what the product's URL answers while its visitor waits (a crawler or a
        // CDN must not take the queue page for the product); Retry-After with 429 and 503.
        Begin(context.Response, _options.QueueStatus, _options.QueueStatus is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable ? poll : null);
        var target = TargetOf(context.Request);
        var language = LanguageOf(context);
        var text = pages.Text(language);
        var eventStart = phase == RoomPhase.Prequeue && room.Event is { } e ? e.Start : (DateTimeOffset?)null;
        var html = QueuePage(room, phase, text, policy, eventStart).RenderUtf8(name => name switch
        {
            "position" => Number(result.Position),
            "peopleAhead" => Number(Math.Max(0, result.Position - 1)),
            "aheadLabel" => text.AheadLabel(Math.Max(0, result.Position - 1)),
            "queueLength" => Number(result.QueueLength),
            "estimatedWait" => text.DescribeWait(wait),
            "estimatedWaitSeconds" => wait is null ? "" : Number(wait.Value),
            "target" => target,
            "pollAfterSeconds" => Number(poll),
            "refreshSeconds" => Number(poll),
            "updatedAt" => Iso(time.GetUtcNow()),
            _ => null,
        }, text);
        return WriteHtmlAsync(context, html);
    }

    /// <summary>The values of the queue page that change from one request to the next; the others are filled in once (<see cref="QueuePage"/>).</summary>
    private static readonly FrozenSet<string> s_changingValues = FrozenSet.Create(StringComparer.Ordinal,
        "position", "peopleAhead", "aheadLabel", "queueLength", "estimatedWait", "estimatedWaitSeconds", "target", "pollAfterSeconds", "refreshSeconds", "updatedAt");

    private readonly ConcurrentDictionary<(PageTemplate, RoomSettings, RoomPhase, VisitorText), PageTemplate> _queuePages = new();

    /// <summary>
    /// The queue page of a room in a phase and a language with all but <see cref="s_changingValues"/>
    /// filled in: rendered on every request of every waiter, it is most of an arrival storm's page cost.
    /// </summary>
    private PageTemplate QueuePage(RoomSettings room, RoomPhase phase, VisitorText text, RoomPolicy policy, DateTimeOffset? eventStart)
    {
        var key = (pages.Queue, room, phase, text);
        if (_queuePages.TryGetValue(key, out var page))
        {
            return page;
        }

        if (_queuePages.Count > 256)
        {
            // Rooms replaced by the admin API or the rooms file leave their pages behind.
            _queuePages.Clear();
        }

        return _queuePages[key] = pages.Queue.Bind(name => name switch
        {
            "room" => room.Name,
            "lang" => text.Language,
            "statusUrl" => room.Name == RoomPolicy.DefaultName ? StatusPath : StatusPath + "?room=" + Uri.EscapeDataString(room.Name),
            "assetsUrl" => AssetsPath,
            "title" => room.TitleOf(phase) ?? text.QueueTitle,
            "message" => room.MessageOf(phase) ?? "",
            "modeNote" => ModeNote(text, policy, eventStart),
            "mode" => QueueModeNames.Of(policy.Mode),
            "phase" => PhaseName(phase),
            "showPosition" => policy.Mode != QueueMode.Random && !policy.ShuffleArrivals ? "true" : "false", // a place in a draw means nothing
            "eventStart" => eventStart is { } start ? Iso(start) : "",
            "challenge" or "difficulty" => "", // WR_POW's challenge state only (WriteChallengeAsync)
            "admissionWindowSeconds" => Number((long)room.AdmissionWindow.TotalSeconds),
            _ => null,
        }, text, s_changingValues);
    }

    /// <summary>
    /// WR_POW: a newcomer who must solve <paramref name="challenge"/> first, and holds no place: the JSON
    /// of SPEC.md (with the room and the seconds the challenge stays valid) or the shipped queue page in
    /// its challenge state (also with a custom WR_QUEUE_PAGE: its script solves it), without the
    /// no-JavaScript refresh, which could only loop: the page says JavaScript is needed instead.
    /// </summary>
    public Task WriteChallengeAsync(HttpContext context, ProofOfWork.ProofOfWorkChallenge challenge, RoomSettings room, RoomPhase phase)
    {
        var poll = PollAfterSeconds(1, room.QueueTtl);
        if (WantsJson(context.Request))
        {
            Begin(context.Response, IsRead(context.Request) ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, IsRead(context.Request) ? null : poll);
            var expires = Math.Max(0, (long)(challenge.ExpiresAt - time.GetUtcNow()).TotalSeconds);
            return WriteJsonAsync(context, new ChallengeJson("challenge", challenge.Text, challenge.Difficulty, poll, expires, room.Name), Json.ChallengeJson);
        }

        Begin(context.Response, StatusCodes.Status200OK, retryAfter: null);
        var language = LanguageOf(context);
        var text = pages.Text(language);
        var policy = room.PolicyOf(phase);
        var html = pages.Challenge.RenderUtf8(name => name switch
        {
            "challenge" => challenge.Text,
            "difficulty" => Number(challenge.Difficulty),
            "room" => room.Name,
            "lang" => language,
            "title" => room.TitleOf(phase) ?? text.QueueTitle,
            "message" => room.MessageOf(phase) ?? "",
            "statusUrl" => room.Name == RoomPolicy.DefaultName ? StatusPath : StatusPath + "?room=" + Uri.EscapeDataString(room.Name),
            "target" => TargetOf(context.Request),
            "pollAfterSeconds" => Number(poll),
            "assetsUrl" => AssetsPath,
            "updatedAt" => Iso(time.GetUtcNow()),
            "mode" => QueueModeNames.Of(policy.Mode),
            "phase" => PhaseName(phase),
            "showPosition" => "false",
            "position" or "peopleAhead" or "queueLength" => "0",
            _ => "", // the refresh too: an empty refresh is none
        }, text);
        return WriteHtmlAsync(context, html);
    }

    /// <summary>The JSON status of SPEC.md for <c>/_wr/status</c>, with the room, its mode and its phase.</summary>
    public Task WriteStatusAsync(HttpContext context, AdmissionResult result, RoomSettings room, RoomPhase phase)
    {
        var poll = PollAfterSeconds(result.Position, room, phase);
        Begin(context.Response, StatusCodes.Status200OK, result.State == VisitorState.Queued ? poll : null);
        return WriteStatusJsonAsync(context, result, poll, EstimateSeconds(room, phase, result), room, phase);
    }

    /// <summary>A full room in reject mode: 503 with the closed page (or JSON), Retry-After about one session's idle time.</summary>
    public Task WriteRejectedAsync(HttpContext context, AdmissionResult result, RoomSettings room, RoomPhase phase) =>
        WriteTurnedAwayAsync(context, result, room, phase, room.ActiveTtl, "rejected", text => room.TitleOf(phase) ?? text.RejectedTitle, pages.Rejected);

    /// <summary>
    /// WR_MAX_QUEUE: the queue holds its cap, so a newcomer gets no place: 503 with the "queue full" page
    /// (or <c>{"state":"full"}</c>), Retry-After about one queue TTL (places free up as waiters leave or get in).
    /// </summary>
    public Task WriteFullAsync(HttpContext context, AdmissionResult result, RoomSettings room, RoomPhase phase) =>
        WriteTurnedAwayAsync(context, result, room, phase, room.QueueTtl, "full", static text => text.FullTitle, pages.Full);

    /// <summary>A newcomer who gets no place: 503, Retry-After <paramref name="retryAfter"/> (5 s to 10 min), <paramref name="template"/> or the JSON <paramref name="state"/>.</summary>
    private Task WriteTurnedAwayAsync(HttpContext context, AdmissionResult result, RoomSettings room, RoomPhase phase, TimeSpan retryAfter, string state, Func<VisitorText, string> title, PageTemplate template)
    {
        var retry = Math.Clamp((int)retryAfter.TotalSeconds, 5, 600);
        Begin(context.Response, StatusCodes.Status503ServiceUnavailable, retry);
        if (WantsJson(context.Request))
        {
            return WriteJsonAsync(context, new RejectedJson(state, room.Name, result.QueueLength, retry), Json.RejectedJson);
        }

        var language = LanguageOf(context);
        var text = pages.Text(language);
        var html = template.RenderUtf8(name => name switch
        {
            "title" => title(text),
            "message" => room.MessageOf(phase) ?? "",
            "room" => room.Name,
            "lang" => language,
            "target" => TargetOf(context.Request),
            "retryAfterSeconds" => Number(retry),
            "assetsUrl" => AssetsPath,
            _ => null,
        }, text);
        return WriteHtmlAsync(context, html);
    }

    /// <summary>
    /// 429: the client's address created too many new entries this minute (WR_MAX_NEW_PER_IP_PER_MINUTE),
    /// which only a client that throws its cookie away sees.
    /// </summary>
    public static Task WriteLimitedAsync(HttpContext context, AdmissionResult result)
    {
        var retry = Math.Max(1, (int)Math.Ceiling(result.RetryAfterMilliseconds / 1000.0));
        Begin(context.Response, StatusCodes.Status429TooManyRequests, retry);
        if (WantsJson(context.Request))
        {
            return WriteJsonAsync(context, new ProblemJson("limited", "too-many-new-visitors-from-this-address", retry), Json.ProblemJson);
        }

        return WriteAsync(context, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"Too many new visits from your network in the last minute. Please enable cookies for this site and try again in {retry} seconds.\n")));
    }

    /// <summary>
    /// Seconds until the visitor gets in, or null when there is no honest number (queue-all); a
    /// pre-queue waits until the start; a random draw draws every place among the whole line.
    /// </summary>
    private long? EstimateSeconds(RoomSettings room, RoomPhase phase, AdmissionResult result)
    {
        if (result.State != VisitorState.Queued)
        {
            return 0;
        }

        var policy = room.PolicyOf(phase);
        if (phase == RoomPhase.Prequeue && room.Event is { } e)
        {
            return Math.Max(0, (long)Math.Ceiling((e.Start - time.GetUtcNow()).TotalSeconds));
        }

        var estimator = rates.For(room.Name);
        return policy.Mode switch
        {
            QueueMode.QueueAll => null,
            // Each free place is drawn among all N waiters: a waiter's expected wait is N / rate.
            QueueMode.Random => estimator.EstimateSeconds(result.QueueLength),
            _ => estimator.EstimateSeconds(result.Position),
        };
    }

    private static string ModeNote(VisitorText text, RoomPolicy policy, DateTimeOffset? eventStart)
    {
        if (eventStart is not null)
        {
            return policy.ShuffleArrivals ? text.PrequeueShuffledNote : text.PrequeueInOrderNote;
        }

        return policy.Mode switch
        {
            QueueMode.Random => text.RandomNote,
            QueueMode.QueueAll => text.QueueAllNote,
            _ => "",
        };
    }

    public static string PhaseName(RoomPhase phase) => phase switch
    {
        RoomPhase.Prequeue => "prequeue",
        RoomPhase.Event => "event",
        _ => "normal",
    };

    /// <summary>
    /// "Temporarily unavailable" with Retry-After: the store is down (WR_FAILURE_MODE=closed) or no
    /// backend could answer; <paramref name="error"/> says which in the JSON answer.
    /// </summary>
    public Task WriteUnavailableAsync(HttpContext context, string error = "store-unavailable", int statusCode = StatusCodes.Status503ServiceUnavailable)
    {
        Begin(context.Response, statusCode, OutageRetryAfterSeconds);
        if (WantsJson(context.Request) || context.Request.Path.StartsWithSegments("/_wr", StringComparison.OrdinalIgnoreCase))
        {
            return WriteJsonAsync(context, new ProblemJson("unknown", error, OutageRetryAfterSeconds), Json.ProblemJson);
        }

        var target = TargetOf(context.Request);
        var html = pages.Unavailable.RenderUtf8(name => name switch
        {
            "retryAfterSeconds" => Number(OutageRetryAfterSeconds),
            "target" => target,
            "assetsUrl" => AssetsPath,
            _ => null,
        }, pages.Text(LanguageOf(context)));
        return WriteHtmlAsync(context, html);
    }

    /// <summary>True when the client ranks application/json (or a +json type) at least as high as HTML.</summary>
    public static bool PrefersJson(HttpRequest request)
    {
        var accept = request.Headers.Accept;
        if (accept.Count == 0 || !MediaTypeHeaderValue.TryParseList(accept, out var types))
        {
            return false;
        }

        double json = 0, html = 0;
        foreach (var type in types)
        {
            var quality = type.Quality ?? 1.0;
            var mediaType = type.MediaType.Value ?? "";
            if (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
                mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
            {
                json = Math.Max(json, quality);
            }
            else if (mediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase))
            {
                html = Math.Max(html, quality);
            }
        }

        return json > 0 && json >= html;
    }

    /// <summary>The status of an answer here, never cached, with Retry-After when the client should ask again.</summary>
    private static void Begin(HttpResponse response, int statusCode, int? retryAfter)
    {
        response.StatusCode = statusCode;
        response.Headers.CacheControl = "no-store";
        response.Headers[RobotsHeader] = NoIndex;
        if (retryAfter is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Clients that sent a body, or asked for JSON, get JSON instead of a page.</summary>
    private static bool WantsJson(HttpRequest request) => !IsRead(request) || PrefersJson(request);

    /// <summary>The item by which the admin preview (Operations/PreviewEndpoint) names the language of the page it renders.</summary>
    internal const string PreviewLanguageItem = "WaitingRoom.PreviewLanguage";

    /// <summary>The page's language (the preview's, else WR_QUEUE_LANGUAGE, else the best of Accept-Language), with the headers that say so.</summary>
    private string LanguageOf(HttpContext context)
    {
        var language = context.Items.TryGetValue(PreviewLanguageItem, out var preview) && preview is string chosen
            ? chosen
            : VisitorText.Choose(context.Request, _options.QueueLanguage, pages.Languages);
        context.Response.Headers.ContentLanguage = language;
        context.Response.Headers.Vary = "Accept-Language";
        return language;
    }

    private static Task WriteStatusJsonAsync(HttpContext context, AdmissionResult result, int poll, long? wait, RoomSettings room, RoomPhase phase) =>
        WriteJsonAsync(
            context,
            new StatusJson(StateName(result.State), result.Position, result.QueueLength, wait, poll, room.Name, QueueModeNames.Of(room.PolicyOf(phase).Mode), PhaseName(phase)),
            Json.StatusJson);

    private static Task WriteJsonAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type) =>
        WriteAsync(context, JsonType, JsonSerializer.SerializeToUtf8Bytes(value, type));

    /// <summary>Writes the answer's body (none for HEAD).</summary>
    private static Task WriteAsync(HttpContext context, string contentType, ReadOnlyMemory<byte> body)
    {
        context.Response.ContentType = contentType;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static bool IsRead(HttpRequest request) => HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);

    private static async Task WriteHtmlAsync(HttpContext context, RenderedPage html)
    {
        using (html)
        {
            context.Response.ContentLength = html.Bytes.Length;
            await WriteAsync(context, "text/html; charset=utf-8", html.Bytes);
        }
    }

    private static string StateName(VisitorState state) => state switch
    {
        VisitorState.Active => "active",
        VisitorState.Released => "released",
        VisitorState.Queued => "queued",
        _ => "unknown",
    };

    /// <summary>Where the visitor goes once in: the URL it asked for, or WR_MAIN_URL.</summary>
    private string TargetOf(HttpRequest request) => RedirectTarget.For(request.PathBase + request.Path + request.QueryString, _options.MainUrl);

    /// <summary>A time as the pages and every JSON answer carry it: ISO 8601 in UTC, to the second.</summary>
    internal static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static JsonContext Json => JsonContext.Default;

    /// <summary>The JSON status of SPEC.md; properties in this order, camelCase.</summary>
    internal sealed record StatusJson(string State, long Position, long QueueLength, long? EstimatedWaitSeconds, int PollAfterSeconds, string Room, string Mode, string Phase);

    internal sealed record RejectedJson(string State, string Room, long QueueLength, int PollAfterSeconds);

    /// <summary>A proof-of-work challenge (SPEC.md): state, challenge, difficulty, pollAfterSeconds, then the seconds it stays valid and the room.</summary>
    internal sealed record ChallengeJson(string State, string Challenge, int Difficulty, int PollAfterSeconds, long ExpiresInSeconds, string Room);

    /// <summary>An answer without a place: limited, or unknown while the store or the backend is down.</summary>
    internal sealed record ProblemJson(string State, string Error, int PollAfterSeconds);

    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
    [JsonSerializable(typeof(StatusJson))]
    [JsonSerializable(typeof(RejectedJson))]
    [JsonSerializable(typeof(ProblemJson))]
    [JsonSerializable(typeof(ChallengeJson))]
    internal sealed partial class JsonContext : JsonSerializerContext;
}
