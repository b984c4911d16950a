using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using WaitingRoom.Access;

namespace WaitingRoom.Admission;

/// <summary>The answers of the address lists and the crawler rules (see <see cref="AccessRules"/>).</summary>
internal sealed partial class VisitorResponses
{
    /// <summary>
    /// Built in and short on purpose: a denied client gets nothing to render or follow (no assets,
    /// no target, no language), and the page costs one cached buffer.
    /// </summary>
    private static readonly byte[] s_deniedPage = Encoding.UTF8.GetBytes("""
        <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
        <title>Access denied</title></head><body><main><h1>Access denied</h1>
        <p>Requests from your network are not accepted by this site.</p></main></body></html>

        """);

    private static readonly byte[] s_deniedJson = """{"state":"denied"}"""u8.ToArray();

    /// <summary>403 for a client in WR_DENY_CIDRS or the room's <c>denyCidrs</c>: a short page, or <c>{"state":"denied"}</c>.</summary>
    public static Task WriteDeniedAsync(HttpContext context)
    {
        Begin(context.Response, StatusCodes.Status403Forbidden, retryAfter: null);
        if (WantsJson(context.Request))
        {
            return WriteAsync(context, JsonType, s_deniedJson);
        }

        context.Response.ContentLength = s_deniedPage.Length;
        return WriteAsync(context, "text/html; charset=utf-8", s_deniedPage);
    }

    /// <summary>
    /// 503 with Retry-After for a crawler while the room would queue (WR_CRAWLERS): "come back
    /// later" to a search engine, which keeps the page's index entry and never indexes the queue.
    /// </summary>
    public Task WriteCrawlerDeferredAsync(HttpContext context)
    {
        var retry = AccessRules.CrawlerRetryAfterSeconds;
        Begin(context.Response, StatusCodes.Status503ServiceUnavailable, retry);
        if (WantsJson(context.Request))
        {
            return WriteJsonAsync(context, new ProblemJson("unknown", "crawler-deferred", retry), Json.ProblemJson);
        }

        var target = TargetOf(context.Request);
        var html = pages.Unavailable.RenderUtf8(name => name switch
        {
            "retryAfterSeconds" => Number(retry),
            "target" => target,
            "assetsUrl" => AssetsPath,
            _ => null,
        }, pages.Text(LanguageOf(context)));
        return WriteHtmlAsync(context, html);
    }
}
