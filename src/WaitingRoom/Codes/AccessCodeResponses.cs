using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using WaitingRoom.Admission;

namespace WaitingRoom.Codes;

/// <summary>
/// The answers of a redemption that did not work: a short page in the visitor's language (or JSON) that says
/// why and links on to where the visitor was going; nothing else changed, so its place is still there.
/// </summary>
internal static class AccessCodeResponses
{
    private static readonly string[] s_languages = [.. VisitorText.All.Select(t => t.Language)];

    /// <summary>The status and the JSON name of an outcome that is not a success.</summary>
    public static (int Status, string Name) Describe(CodeRedemption? outcome) => outcome switch
    {
        null => (StatusCodes.Status429TooManyRequests, "too-many-attempts"),
        CodeRedemption.Invalid => (StatusCodes.Status404NotFound, "invalid"),
        CodeRedemption.Revoked => (StatusCodes.Status410Gone, "revoked"),
        CodeRedemption.Expired => (StatusCodes.Status410Gone, "expired"),
        CodeRedemption.UsedUp => (StatusCodes.Status410Gone, "used-up"),
        _ => (StatusCodes.Status200OK, "accepted"),
    };

    /// <summary>True for the outcomes after which the visitor simply goes on (accepted, redeemed before, not needed).</summary>
    public static bool Worked(CodeRedemption? outcome) => outcome is CodeRedemption.Accepted or CodeRedemption.AlreadyRedeemed or CodeRedemption.NotNeeded;

    /// <summary>303 to <paramref name="target"/>, never cached, without a referrer (the code was in the URL).</summary>
    public static Task RedirectAsync(HttpContext context, string target)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status303SeeOther;
        response.Headers.Location = target;
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers[VisitorResponses.RobotsHeader] = VisitorResponses.NoIndex;
        return Task.CompletedTask;
    }

    /// <summary>The page (or JSON) for an outcome that did not work; 429 with Retry-After past the wrong guesses.</summary>
    public static Task WriteFailureAsync(HttpContext context, CodeRedemption? outcome, int retryAfterSeconds, string target, string? forcedLanguage)
    {
        var (status, name) = Describe(outcome);
        var response = context.Response;
        response.StatusCode = status;
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers[VisitorResponses.RobotsHeader] = VisitorResponses.NoIndex;
        if (outcome is null)
        {
            response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        var language = VisitorText.Choose(context.Request, forcedLanguage, s_languages);
        var text = VisitorText.Of(language);
        var message = outcome switch
        {
            null => text.CodeTooMany,
            CodeRedemption.Expired => text.CodeExpired,
            CodeRedemption.UsedUp => text.CodeUsedUp,
            _ => text.CodeInvalid,
        };
        byte[] body;
        if (VisitorResponses.PrefersJson(context.Request) || !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !IsForm(context.Request))
        {
            response.ContentType = "application/json; charset=utf-8";
            body = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["state"] = "code",
                ["code"] = name,
                ["message"] = message,
                ["continue"] = target,
                ["retryAfterSeconds"] = outcome is null ? retryAfterSeconds : null,
            }.ToJsonString());
        }
        else
        {
            response.ContentType = "text/html; charset=utf-8";
            response.Headers.ContentLanguage = language;
            response.Headers.Vary = "Accept-Language";
            var html = HtmlEncoder.Default;
            body = Encoding.UTF8.GetBytes($"""
                <!doctype html>
                <html lang="{language}" dir="{text.Direction}">
                <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
                <title>{html.Encode(message)}</title><link rel="stylesheet" href="{VisitorResponses.AssetsPath}/queue.css"></head>
                <body><main class="card code-result" data-code="{name}"><h1>{html.Encode(message)}</h1>
                <p><a href="{html.Encode(target)}">{html.Encode(text.CodeContinue)}</a></p></main></body>
                </html>

                """);
        }

        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static bool IsForm(HttpRequest request) => request.HasFormContentType;
}
