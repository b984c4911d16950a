using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;
using WaitingRoom.Admission;

namespace WaitingRoom.Operations;

/// <summary>
/// One line per request through Serilog (its levels, filters, enrichers and sinks apply): method,
/// path without query, status (499 when the client went away first), time, the room's decision, a
/// short visitor tag and the request id. Never a token, never the Cookie header.
/// </summary>
/// <remarks>
/// Serilog.AspNetCore's request logging, made cheap for a proxy's hot path: the same category,
/// template and properties, but the event is assembled in one pre-sized dictionary with shared
/// values for the few statuses, methods, decisions and rooms there are, and no per-request
/// diagnostic context (an AsyncLocal and a collector per request; the room's own fields come from
/// <see cref="WaitingRoomRequestFeature"/>).
/// </remarks>
internal sealed class RequestLog(RequestDelegate next, Serilog.ILogger logger)
{
    /// <summary>The request lines' category (SourceContext): Serilog.AspNetCore's, so its overrides apply.</summary>
    public const string Category = "Serilog.AspNetCore.RequestLoggingMiddleware";

    /// <summary>The category the request lines had before they went through Serilog: an override of it still applies.</summary>
    public const string LegacyCategory = "WaitingRoom.Operations.RequestLogMiddleware";

    public const string Template = "{Method} {Path} {StatusCode} {ElapsedMs:0.0} ms {Decision} room={Room} visitor={Visitor}";

    /// <summary>The event id of the request line (its <c>EventId</c> property, as before it went through Serilog).</summary>
    public const int EventId = EventIds.Request;

    /// <summary>The status logged for a request whose client went away before an answer started (nginx's).</summary>
    public const int ClientClosedRequest = 499;

    private const int SharedValuesLimit = 1_000;

    private static readonly MessageTemplate s_template = new MessageTemplateParser().Parse(Template);
    private static readonly StructureValue s_eventId = new(
        [new LogEventProperty("Id", new ScalarValue(EventId)), new LogEventProperty("Name", new ScalarValue("Request"))]);
    private static readonly ScalarValue[] s_statuses = Enumerable.Range(0, 600).Select(s => new ScalarValue(s)).ToArray();
    private static readonly ConcurrentDictionary<string, ScalarValue> s_shared = new(StringComparer.Ordinal);
    private static readonly ScalarValue s_empty = new("");

    private readonly Serilog.ILogger _logger = logger.ForContext(Constants.SourceContextPropertyName, Category);

    public Task InvokeAsync(HttpContext context)
    {
        // A failed request is logged at Error: only when not even that is on is there nothing to time.
        return _logger.IsEnabled(LogEventLevel.Error) ? LoggedAsync(context) : next(context);
    }

    private async Task LoggedAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        catch (Exception exception) when (Write(context, start, StatusCodes.Status500InternalServerError, exception))
        {
            // Never caught: Write returns false, so the exception goes on to the server's handler.
        }

        Write(context, start, context.Response.StatusCode, exception: null);
    }

    private bool Write(HttpContext context, long start, int statusCode, Exception? exception)
    {
        var level = exception is null ? LogEventLevel.Information : LogEventLevel.Error;
        if (!_logger.IsEnabled(level))
        {
            return false;
        }

        var elapsedMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var feature = context.Features.Get<WaitingRoomRequestFeature>();
        var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? ClientClosedRequest : statusCode;
        var path = context.Features.Get<IHttpRequestFeature>()?.Path;

        // Pre-sized for these nine, SourceContext and one enricher of the operator's: no resize. (The
        // capacity is rounded up to a prime: 11 holds 11, where 12 took 17 entries, 168 B more a request.)
        var properties = new Dictionary<string, LogEventPropertyValue>(11)
        {
            ["Method"] = Shared(context.Request.Method),
            ["Path"] = new ScalarValue(string.IsNullOrEmpty(path) ? context.Request.Path.ToString() : path),
            ["StatusCode"] = (uint)status < s_statuses.Length ? s_statuses[status] : new ScalarValue(status),
            ["ElapsedMs"] = new ScalarValue(elapsedMs),
            ["Decision"] = Shared(feature?.Decision ?? "static"),
            ["Room"] = feature?.Room is { } room ? Shared(room) : s_empty,
            ["Visitor"] = feature?.Visitor is { } visitor ? new ScalarValue(visitor) : s_empty,
            ["RequestId"] = new ScalarValue(context.TraceIdentifier),
            ["EventId"] = s_eventId,
        };
        var activity = Activity.Current;
        _logger.Write(LogEvent.UnstableAssembleFromParts(
            DateTimeOffset.Now, level, exception, s_template, properties, activity?.TraceId ?? default, activity?.SpanId ?? default));
        return false;
    }

    /// <summary>One value per method, decision and room name (a few of each), up to a bound.</summary>
    private static ScalarValue Shared(string text)
    {
        if (s_shared.TryGetValue(text, out var value))
        {
            return value;
        }

        value = new ScalarValue(text);
        return s_shared.Count < SharedValuesLimit ? s_shared.GetOrAdd(text, value) : value;
    }
}
