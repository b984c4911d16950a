using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using WaitingRoom.Hosting;
using WaitingRoom.Queue;

namespace WaitingRoom.Admission;

/// <summary>
/// Writes what a visitor who is not forwarded gets: the queue page (GET/HEAD from a browser), the
/// JSON status (Accept: application/json, /_wr/status), a 503 with Retry-After for other methods
/// so no body is dropped silently, and the store-outage answer.
/// </summary>
internal sealed class VisitorResponses
{
    /// <summary>Where the room's own assets (queue.css, queue.js) are served.</summary>
    public const string AssetsPath = "/_wr/assets";

    /// <summary>The status endpoint the page polls.</summary>
    public const string StatusPath = "/_wr/status";

    /// <summary>Seconds a client is told to wait while the store is down.</summary>
    public const int OutageRetryAfterSeconds = 5;

    private readonly VisitorPages _pages;
    private readonly PromotionRateEstimator _estimator;
    private readonly TimeProvider _time;
    private readonly WaitingRoomOptions _options;
    private readonly int _basePollSeconds;
    private readonly int _maxPollSeconds;

    public VisitorResponses(VisitorPages pages, PromotionRateEstimator estimator, TimeProvider time, IOptions<WaitingRoomOptions> options)
    {
        _pages = pages;
        _estimator = estimator;
        _time = time;
        _options = options.Value;
        _basePollSeconds = Math.Max(1, (int)Math.Ceiling(_options.ReleaseInterval.TotalSeconds));

        // A waiter must poll well within WR_QUEUE_TTL or it loses its place.
        _maxPollSeconds = Math.Clamp((int)(_options.QueueTtl.TotalSeconds / 3), 1, 30);
    }

    /// <summary>
    /// Seconds until the next poll: the release interval near the head of the queue, longer
    /// further back (a million waiters must not poll every two seconds), never so long that a
    /// waiter who follows it would pass WR_QUEUE_TTL.
    /// </summary>
    public int PollAfterSeconds(long position)
    {
        var digits = position < 10 ? 1 : (int)Math.Floor(Math.Log10(position)) + 1;
        return Math.Min(_basePollSeconds * digits, _maxPollSeconds);
    }

    /// <summary>Answers a request from a visitor who is not admitted.</summary>
    public Task WriteQueuedAsync(HttpContext context, AdmissionResult result, string room)
    {
        var request = context.Request;
        var response = context.Response;
        var poll = PollAfterSeconds(result.Position);
        response.Headers.CacheControl = "no-store";
        var isRead = IsRead(request);
        if (!isRead || PrefersJson(request))
        {
            // Clients that sent a body (or asked for JSON) learn exactly where they stand.
            response.StatusCode = isRead ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            response.Headers.RetryAfter = poll.ToString(CultureInfo.InvariantCulture);
            return WriteJsonAsync(context, result, poll);
        }

        var target = RedirectTarget.For(request.PathBase + request.Path + request.QueryString, _options.MainUrl);
        var wait = _estimator.EstimateSeconds(result.Position);
        var language = VisitorText.Choose(request, _options.QueueLanguage, _pages.Languages);
        var text = VisitorText.Of(language);
        SetLanguageHeaders(response, language);
        var html = _pages.Queue(language).Render(name => name switch
        {
            "position" => Number(result.Position),
            "peopleAhead" => Number(Math.Max(0, result.Position - 1)),
            "aheadLabel" => text.AheadLabel(Math.Max(0, result.Position - 1)),
            "queueLength" => Number(result.QueueLength),
            "estimatedWait" => text.DescribeWait(wait),
            "estimatedWaitSeconds" => wait is null ? "" : Number(wait.Value),
            "room" => room,
            "lang" => language,
            "statusUrl" => StatusPath,
            "target" => target,
            "pollAfterSeconds" => Number(poll),
            "refreshSeconds" => Number(poll),
            "assetsUrl" => AssetsPath,
            "updatedAt" => _time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            _ => null,
        });
        response.StatusCode = StatusCodes.Status200OK;
        return WriteHtmlAsync(context, html);
    }

    /// <summary>The JSON status of SPEC.md for <c>/_wr/status</c>.</summary>
    public Task WriteStatusAsync(HttpContext context, AdmissionResult result)
    {
        var poll = PollAfterSeconds(result.Position);
        var response = context.Response;
        response.Headers.CacheControl = "no-store";
        if (result.State == VisitorState.Queued)
        {
            response.Headers.RetryAfter = poll.ToString(CultureInfo.InvariantCulture);
        }

        return WriteJsonAsync(context, result, poll);
    }

    /// <summary>The answer while the store is down and WR_FAILURE_MODE is closed: 503 with Retry-After.</summary>
    public Task WriteUnavailableAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.CacheControl = "no-store";
        response.Headers.RetryAfter = OutageRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        if (!IsRead(request) || PrefersJson(request) || request.Path.StartsWithSegments("/_wr", StringComparison.OrdinalIgnoreCase))
        {
            return WriteJsonAsync(context, json =>
            {
                json.WriteString("state", "unknown");
                json.WriteString("error", "store-unavailable");
                json.WriteNumber("pollAfterSeconds", OutageRetryAfterSeconds);
            });
        }

        var target = RedirectTarget.For(request.PathBase + request.Path + request.QueryString, _options.MainUrl);
        var language = VisitorText.Choose(request, _options.QueueLanguage, _pages.Languages);
        SetLanguageHeaders(response, language);
        var html = _pages.Unavailable(language).Render(name => name switch
        {
            "retryAfterSeconds" => Number(OutageRetryAfterSeconds),
            "target" => target,
            "assetsUrl" => AssetsPath,
            _ => null,
        });
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

    private static void SetLanguageHeaders(HttpResponse response, string language)
    {
        response.Headers.ContentLanguage = language;
        response.Headers.Vary = "Accept-Language";
    }

    private Task WriteJsonAsync(HttpContext context, AdmissionResult result, int poll) => WriteJsonAsync(context, json =>
    {
        json.WriteString("state", StateName(result.State));
        json.WriteNumber("position", result.Position);
        json.WriteNumber("queueLength", result.QueueLength);
        if (result.State != VisitorState.Queued)
        {
            json.WriteNumber("estimatedWaitSeconds", 0);
        }
        else if (_estimator.EstimateSeconds(result.Position) is { } wait)
        {
            json.WriteNumber("estimatedWaitSeconds", wait);
        }
        else
        {
            json.WriteNull("estimatedWaitSeconds");
        }

        json.WriteNumber("pollAfterSeconds", poll);
    });

    /// <summary>Writes one JSON object (no body for HEAD).</summary>
    private static Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> writeProperties)
    {
        var buffer = new ArrayBufferWriter<byte>(160);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            writeProperties(json);
            json.WriteEndObject();
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        return HttpMethods.IsHead(context.Request.Method)
            ? Task.CompletedTask
            : context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).AsTask();
    }

    private static bool IsRead(HttpRequest request) => HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);

    private static Task WriteHtmlAsync(HttpContext context, string html)
    {
        var response = context.Response;
        response.ContentType = "text/html; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(html);
        response.ContentLength = bytes.Length;
        return HttpMethods.IsHead(context.Request.Method)
            ? Task.CompletedTask
            : response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }

    private static string StateName(VisitorState state) => state switch
    {
        VisitorState.Active => "active",
        VisitorState.Released => "released",
        VisitorState.Queued => "queued",
        _ => "unknown",
    };

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
