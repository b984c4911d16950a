using System.Globalization;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using WaitingRoom.Queue;

namespace WaitingRoom.Proxy;

/// <summary>Stands in for the backend when WR_BACKEND_URL is unset, so a first run shows the room working.</summary>
internal static class DemoOrigin
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.Map("{**path}", RenderAsync);

    private static async Task RenderAsync(HttpContext context)
    {
        var store = context.RequestServices.GetRequiredService<IWaitingRoomStore>();
        var room = context.Features.Get<Admission.WaitingRoomRequestFeature>()?.Policy
            ?? context.RequestServices.GetRequiredService<Rooms.RoomTable>().Default.PolicyOf(Rooms.RoomPhase.Normal);
        string used, queued;
        try
        {
            var counts = await store.GetCountsAsync(room, context.RequestAborted);
            used = (counts.Active + counts.Released).ToString(CultureInfo.InvariantCulture);
            queued = counts.Queued.ToString(CultureInfo.InvariantCulture);
        }
        catch (StoreUnavailableException)
        {
            // WR_FAILURE_MODE=open forwards here while the store is down: show the page without numbers.
            used = queued = "?";
        }

        var path = HtmlEncoder.Default.Encode(context.Request.Path.Value ?? "/");
        var max = room.MaxActive.ToString(CultureInfo.InvariantCulture);
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync($"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
            <title>WaitingRoom demo origin</title></head>
            <body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem">
            <h1>You're in.</h1>
            <p>This is WaitingRoom's built-in demo origin, answering <code>{path}</code> because <code>WR_BACKEND_URL</code> is not set.</p>
            <p>Right now {used} of {max} places are taken and {queued} visitors are waiting.
            Open this page in other browsers or private windows to see the queue; set <code>WR_MAX_ACTIVE=1</code> to see it at once.</p>
            </body></html>
            """, context.RequestAborted);
    }
}
