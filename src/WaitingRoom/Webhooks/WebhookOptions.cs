namespace WaitingRoom.Webhooks;

/// <summary>What a webhook URL must be (WR_WEBHOOK_URL, a room's <c>webhookUrl</c>).</summary>
internal static class WebhookOptions
{
    public const string UrlExpected = "an absolute http or https URL without credentials or fragment";

    /// <summary>A webhook URL for a report or a log line: its query (which may carry a receiver's token) hidden.</summary>
    public static string Shown(Uri? url) =>
        url is null ? "" : url.GetLeftPart(UriPartial.Path) + (url.Query.Length > 0 ? "?(hidden)" : "");

    /// <summary>An absolute http(s) URL without user info (the body is signed instead) or fragment.</summary>
    public static bool IsUrl(string text, out Uri url)
    {
        url = null!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps) ||
            parsed.UserInfo.Length > 0 || parsed.Fragment.Length > 0 || string.IsNullOrEmpty(parsed.Host))
        {
            return false;
        }

        url = parsed;
        return true;
    }
}
