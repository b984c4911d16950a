using Microsoft.AspNetCore.Http;
using WaitingRoom.Admission;
using Yarp.ReverseProxy.Forwarder;

namespace WaitingRoom.Proxy;

/// <summary>
/// First step of YARP's proxy pipeline: counts every forwarded request by the destination YARP
/// chose, and when forwarding failed before the response started (no destination available,
/// connection refused, the backend timed out) answers the room's clear "temporarily unavailable"
/// page with Retry-After, instead of YARP's empty 502/503/504.
/// </summary>
internal sealed class BackendOutcomeMiddleware
{
    private readonly RequestDelegate _next;
    private readonly BackendDestinations _destinations;
    private readonly VisitorResponses _responses;

    public BackendOutcomeMiddleware(RequestDelegate next, BackendDestinations destinations, VisitorResponses responses)
    {
        _next = next;
        _destinations = destinations;
        _responses = responses;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        await _next(context);

        var error = context.Features.Get<IForwarderErrorFeature>();
        if (context.GetReverseProxyFeature().ProxiedDestination is { } destination)
        {
            _destinations.RecordRequest(destination.DestinationId, error is not null);
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
        await _responses.WriteUnavailableAsync(context, timedOut ? "backend-timeout" : "backend-unavailable", timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status503ServiceUnavailable);
    }
}
