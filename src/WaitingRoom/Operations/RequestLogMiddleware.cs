using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WaitingRoom.Admission;

namespace WaitingRoom.Operations;

/// <summary>
/// One structured log line per request: method, path (no query string), status, time, the room's
/// decision and a short visitor tag. Never a token, never the Cookie header.
/// </summary>
internal sealed partial class RequestLogMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILogger<RequestLogMiddleware> _logger;

    public RequestLogMiddleware(RequestDelegate next, ILogger<RequestLogMiddleware> logger)
    {
        _next = next;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (!_logger.IsEnabled(LogLevel.Information))
        {
            await _next(context);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await _next(context);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var feature = context.Features.Get<WaitingRoomRequestFeature>();
            var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
            var path = context.Request.Path.Value ?? "/";
            Log.Request(_logger, context.Request.Method, path, status, elapsed, feature?.Decision ?? "static", feature?.Room ?? "", feature?.Visitor ?? "");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Information, EventName = "Request",
            Message = "{Method} {Path} {StatusCode} {ElapsedMs:0.0} ms {Decision} room={Room} visitor={Visitor}")]
        public static partial void Request(ILogger logger, string method, string path, int statusCode, double elapsedMs, string decision, string room, string visitor);
    }
}
