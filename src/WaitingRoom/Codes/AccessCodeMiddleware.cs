using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Codes;

/// <summary>
/// An invite link: a GET or HEAD to any URL of a room with <c>?wr_code=&lt;code&gt;</c> redeems the code for the
/// visitor and answers 303 to the same URL without that parameter (the others kept as sent), so the code leaves
/// the address bar and the history; the admission middleware then sees a code holder. A request without the
/// room's cookie first gets it and the same link again: only a client that keeps cookies uses a code. A code that does not work
/// gets its page, and nothing changed. Without the parameter this costs one substring search of the query.
/// </summary>
internal sealed class AccessCodeMiddleware(
    RequestDelegate next,
    AccessCodeRedeemer redeemer,
    VisitorTokenSigner signer,
    RoomTable rooms,
    VisitorResponses responses,
    IOptions<WaitingRoomOptions> options)
{
    private readonly string? _language = options.Value.QueueLanguage;

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var query = request.QueryString.Value;
        if (query is null || !query.Contains(AccessCodeFormat.QueryName, StringComparison.OrdinalIgnoreCase)
            || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            || request.Path.StartsWithSegments("/_wr", StringComparison.OrdinalIgnoreCase)
            || !request.Query.TryGetValue(AccessCodeFormat.QueryName, out var values))
        {
            return next(context);
        }

        return RedeemAsync(context, values.Count == 1 ? values[0] : null);
    }

    private async Task RedeemAsync(HttpContext context, string? code)
    {
        var request = context.Request;
        var room = rooms.Match(request);
        var feature = new WaitingRoomRequestFeature { Room = room.Name };
        context.Features.Set(feature);
        var target = RedirectTarget.For(request.PathBase + request.Path + Without(request.QueryString.Value!, AccessCodeFormat.QueryName), options.Value.MainUrl);
        (CodeRedemption? Outcome, int RetryAfterSeconds) result;
        try
        {
            await signer.EnsureReadyAsync(context.RequestAborted);
            if (!signer.TryRead(request, out _))
            {
                // No cookie yet: the cookie and the same link again, so only a client that keeps cookies (a browser)
                // redeems; a link preview (chat apps fetch links they are sent) takes no use.
                signer.IssueCookie(context);
                feature.Decision = "code-cookie";
                await AccessCodeResponses.RedirectAsync(context, RedirectTarget.For(request.PathBase + request.Path + request.QueryString, options.Value.MainUrl));
                return;
            }

            result = await redeemer.RedeemAsync(context, room, code);
        }
        catch (StoreUnavailableException)
        {
            feature.Decision = "code-store-down";
            await responses.WriteUnavailableAsync(context);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            feature.Decision = "client-gone";
            return;
        }

        feature.Decision = "code-" + AccessCodeResponses.Describe(result.Outcome).Name;
        if (AccessCodeResponses.Worked(result.Outcome))
        {
            await AccessCodeResponses.RedirectAsync(context, target);
            return;
        }

        await AccessCodeResponses.WriteFailureAsync(context, result.Outcome, result.RetryAfterSeconds, target, _language);
    }

    /// <summary>The query string without every <paramref name="name"/> parameter; the other parts exactly as sent.</summary>
    internal static string Without(string query, string name)
    {
        var kept = query.TrimStart('?').Split('&').Where(part =>
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString((equals < 0 ? part : part[..equals]).Replace('+', ' '));
            return part.Length > 0 && !string.Equals(key, name, StringComparison.OrdinalIgnoreCase);
        }).ToList();
        return kept.Count == 0 ? "" : "?" + string.Join('&', kept);
    }
}
