using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WaitingRoom.Admission;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Operations;

/// <summary>The room's own endpoints: /_wr/status, /_wr/health, /_wr/ready and /_wr/metrics.</summary>
internal static class WaitingRoomEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(VisitorResponses.StatusPath, StatusAsync).WithMetadata(WaitingRoomEndpointMetadata.Instance);
        endpoints.MapMethods("/_wr/health", [HttpMethods.Get, HttpMethods.Head], Health).WithMetadata(WaitingRoomEndpointMetadata.Instance);
        endpoints.MapWaitingRoomMetrics().WithMetadata(WaitingRoomEndpointMetadata.Instance);
        endpoints.MapMethods("/_wr/ready", [HttpMethods.Get, HttpMethods.Head], (Func<HttpContext, Task<IResult>>)ReadyAsync).WithMetadata(WaitingRoomEndpointMetadata.Instance);
    }

    /// <summary>The caller's state in <c>?room=</c> (else the default room) as SPEC.md's JSON; a bad cookie is "unknown", an unknown room 404.</summary>
    private static async Task StatusAsync(HttpContext context, IWaitingRoomStore store, VisitorTokenSigner signer, VisitorResponses responses, RoomTable rooms, TimeProvider time, QueuePlaces places, [FromServices] StoreAvailability? availability)
    {
        var name = context.Request.Query["room"];
        var room = name.Count == 0 ? rooms.Default : rooms.Find(name.Count == 1 ? name[0] : null);
        if (room is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.Headers.CacheControl = "no-store";
            await context.Response.WriteAsJsonAsync(new { error = "unknown-room" }, context.RequestAborted);
            return;
        }

        if (context.Features.Get<WaitingRoomRequestFeature>() is { } feature)
        {
            feature.Room = room.Name;
        }

        var phase = room.PhaseAt(time.GetUtcNow());
        try
        {
            await signer.EnsureReadyAsync(context.RequestAborted);
            AdmissionResult result;
            if (signer.TryRead(context.Request, out var visitorId))
            {
                // Far from the head the instance answers from its snapshot of the room; else the store, exactly.
                var policy = room.PolicyOf(phase);
                var place = places.Read(context.Request, visitorId, room.Name);
                var byInstance = places.TryAnswer(policy, place, out result);
                if (!byInstance)
                {
                    if (availability?.FailingFast() is not null)
                    {
                        // Redis is failing fast: the outage's answer with no call that could only throw (see the admission middleware).
                        await responses.WriteUnavailableAsync(context);
                        return;
                    }

                    result = await store.GetStatusAsync(policy, visitorId, context.RequestAborted);
                }

                places.Remember(context, visitorId, room.Name, place, result, byInstance);
            }
            else
            {
                result = new AdmissionResult(VisitorState.Unknown, 0, 0);
            }

            await responses.WriteStatusAsync(context, result, room, phase);
        }
        catch (StoreUnavailableException)
        {
            await responses.WriteUnavailableAsync(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    /// <summary>Liveness: the process answers. Never depends on the store.</summary>
    private static IResult Health(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        return Results.Text("{\"status\":\"ok\"}", "application/json");
    }

    /// <summary>Readiness: the store answers a ping; 503 while it does not, and from the moment the instance is told to stop (draining).</summary>
    private static async Task<IResult> ReadyAsync(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested)
        {
            return Results.Text("{\"status\":\"draining\"}", "application/json", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var store = context.RequestServices.GetRequiredService<IWaitingRoomStore>();
        try
        {
            await store.PingAsync(context.RequestAborted).WaitAsync(TimeSpan.FromSeconds(2), context.RequestAborted);
            return Results.Text($"{{\"status\":\"ready\",\"store\":\"{store.Kind}\"}}", "application/json");
        }
        catch (Exception ex) when (ex is StoreUnavailableException or TimeoutException)
        {
            return Results.Text($"{{\"status\":\"unavailable\",\"store\":\"{store.Kind}\"}}", "application/json", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
