using Microsoft.AspNetCore.Http;
using Serilog.AspNetCore;
using Serilog.Events;
using WaitingRoom.Admission;

namespace WaitingRoom.Operations;

/// <summary>
/// One line per request through Serilog's request logging (its levels, filters and sinks apply):
/// method, path without query, status (499 when the client went away first), time, the room's
/// decision, a short visitor tag and the request id. Never a token, never the Cookie header.
/// </summary>
internal static class RequestLog
{
    public const string Template = "{Method} {Path} {StatusCode} {ElapsedMs:0.0} ms {Decision} room={Room} visitor={Visitor}";

    /// <summary>The event id of the request line (its <c>EventId</c> property, as before it went through Serilog).</summary>
    public const int EventId = EventIds.Request;

    /// <summary>The status logged for a request whose client went away before an answer started (nginx's).</summary>
    public const int ClientClosedRequest = 499;

    private static readonly LogEventProperty s_eventId = new("EventId", new StructureValue(
        [new LogEventProperty("Id", new ScalarValue(EventId)), new LogEventProperty("Name", new ScalarValue("Request"))]));

    /// <summary>The request line's settings on Serilog's request logging.</summary>
    public static void Configure(RequestLoggingOptions options, Serilog.ILogger logger)
    {
        options.Logger = logger;
        options.MessageTemplate = Template;
        options.GetLevel = static (_, _, exception) => exception is null ? LogEventLevel.Information : LogEventLevel.Error;
        options.GetMessageTemplateProperties = Properties;
    }

    private static LogEventProperty[] Properties(HttpContext context, string path, double elapsedMs, int statusCode)
    {
        var feature = context.Features.Get<WaitingRoomRequestFeature>();
        var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? ClientClosedRequest : statusCode;
        return
        [
            new LogEventProperty("Method", new ScalarValue(context.Request.Method)),
            new LogEventProperty("Path", new ScalarValue(path)),
            new LogEventProperty("StatusCode", new ScalarValue(status)),
            new LogEventProperty("ElapsedMs", new ScalarValue(elapsedMs)),
            new LogEventProperty("Decision", new ScalarValue(feature?.Decision ?? "static")),
            new LogEventProperty("Room", new ScalarValue(feature?.Room ?? "")),
            new LogEventProperty("Visitor", new ScalarValue(feature?.Visitor ?? "")),
            new LogEventProperty("RequestId", new ScalarValue(context.TraceIdentifier)),
            s_eventId,
        ];
    }
}
