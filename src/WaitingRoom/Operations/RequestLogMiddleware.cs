using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WaitingRoom.Admission;
using WaitingRoom.Hosting;

namespace WaitingRoom.Operations;

/// <summary>
/// One structured log line per request: method, path (no query string), status, time, the room's
/// decision and a short visitor tag. Never a token, never the Cookie header. The level is the
/// logger's (Serilog overrides apply); the line itself goes straight to the console writer when
/// the logging pipeline is the product's own (<see cref="RequestLogOutput"/>), with the same JSON.
/// </summary>
internal sealed partial class RequestLogMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILogger<RequestLogMiddleware> _logger;
    private readonly BackgroundConsoleSink? _console;

    public RequestLogMiddleware(RequestDelegate next, ILogger<RequestLogMiddleware> logger, RequestLogOutput output)
    {
        _next = next;
        _logger = logger;
        _console = output.Console;
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
            var decision = feature?.Decision ?? "static";
            var room = feature?.Room ?? "";
            var visitor = feature?.Visitor ?? "";
            if (_console is not null)
            {
                var activity = Activity.Current;
                _console.EmitRequest(new RequestLogEntry(DateTimeOffset.Now, context.Request.Method, path, status, elapsed, decision, room, visitor,
                    context.TraceIdentifier, context.Connection.Id, activity?.TraceId, activity?.SpanId));
            }
            else
            {
                Log.Request(_logger, context.Request.Method, path, status, elapsed, decision, room, visitor);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = RequestLogLine.EventId, Level = LogLevel.Information, EventName = RequestLogLine.EventName, Message = RequestLogLine.Template)]
        public static partial void Request(ILogger logger, string method, string path, int statusCode, double elapsedMs, string decision, string room, string visitor);
    }
}
