using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using WaitingRoom.Adaptive;
using WaitingRoom.Admission;
using Yarp.ReverseProxy.Forwarder;

namespace WaitingRoom.Proxy;

/// <summary>
/// First step of YARP's pipeline: measures every forwarded request for its room's adaptive capacity,
/// counts it by destination, and when forwarding failed before the response started answers the
/// room's "temporarily unavailable" page with Retry-After instead of YARP's empty 502/503/504.
/// </summary>
internal sealed class BackendOutcomeMiddleware(RequestDelegate next, BackendDestinations destinations, VisitorResponses responses, ForwardingMeasurements measurements)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var stats = measurements.For(context.Features.Get<WaitingRoomRequestFeature>()?.Room ?? Queue.RoomPolicy.DefaultName);
        stats.Started();
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        catch
        {
            stats.Ended();
            throw;
        }

        var error = context.Features.Get<IForwarderErrorFeature>();
        Measure(stats, context.Response.StatusCode, error?.Error, started);
        if (context.GetReverseProxyFeature().ProxiedDestination is { } destination)
        {
            destinations.RecordRequest(destination.DestinationId, error is not null);
        }

        if (error is null || context.Response.HasStarted || context.Response.StatusCode is not (502 or 503 or 504))
        {
            return;
        }

        if (context.Features.Get<WaitingRoomRequestFeature>() is { } feature)
        {
            feature.Decision = error.Error == ForwarderError.NoAvailableDestinations ? "backend-none-available" : "backend-failed";
        }

        var timedOut = error.Error == ForwarderError.RequestTimedOut;
        await responses.WriteUnavailableAsync(context, timedOut ? "backend-timeout" : "backend-unavailable", timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>A 5xx or a failure on the origin's side counts against it; a client gone or a WebSocket counts neither way.</summary>
    private static void Measure(ForwardingStats stats, int status, ForwarderError? error, long started)
    {
        switch (error)
        {
            case null when status == StatusCodes.Status101SwitchingProtocols:
                stats.Ended();
                break;
            case null when status >= 500:
                stats.Failed();
                break;
            case null:
                stats.Succeeded(Stopwatch.GetElapsedTime(started));
                break;
            case ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.RequestBodyDestination or ForwarderError.ResponseHeaders
                or ForwarderError.ResponseBodyDestination or ForwarderError.UpgradeRequestDestination or ForwarderError.UpgradeResponseDestination
                or ForwarderError.NoAvailableDestinations or ForwarderError.UpgradeActivityTimeout:
                stats.Failed();
                break;
            default:
                stats.Ended();
                break;
        }
    }
}
