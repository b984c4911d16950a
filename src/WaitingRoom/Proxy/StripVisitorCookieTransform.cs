using Yarp.ReverseProxy.Transforms;

namespace WaitingRoom.Proxy;

/// <summary>
/// Removes the room's cookies (the visitor's and its place in line) from the Cookie header sent to the backend; the other cookies pass as
/// they are, in order. Case-insensitive, as ASP.NET Core reads it: a <c>WR_TOKEN</c> is stripped too.
/// </summary>
internal sealed class StripVisitorCookieTransform(string cookieName) : RequestTransform
{
    private static readonly char[] s_separators = [';', ','];

    // The place cookie is the room's too.
    private readonly string _placeCookieName = Admission.VisitorTokenSigner.PlaceCookieNameOf(cookieName);

    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        var headers = context.ProxyRequest.Headers;
        if (!headers.TryGetValues("Cookie", out var values))
        {
            return ValueTask.CompletedTask;
        }

        var kept = new List<string>();
        var changed = false;
        foreach (var value in values)
        {
            // ';' and ',' both separate cookies for ASP.NET Core's parser (which reads the token),
            // so both do here: "a=1, wr_token=…" carries the token as surely as "a=1; wr_token=…".
            foreach (var pair in value.Split(s_separators))
            {
                var trimmed = pair.Trim();
                if (trimmed.Length == 0)
                {
                    continue;
                }

                if (IsVisitorCookie(trimmed))
                {
                    changed = true;
                    continue;
                }

                kept.Add(trimmed);
            }
        }

        if (changed)
        {
            headers.Remove("Cookie");
            if (kept.Count > 0)
            {
                headers.TryAddWithoutValidation("Cookie", string.Join("; ", kept));
            }
        }

        return ValueTask.CompletedTask;
    }

    private bool IsVisitorCookie(string pair)
    {
        var equals = pair.IndexOf('=', StringComparison.Ordinal);
        var name = (equals < 0 ? pair : pair[..equals]).Trim();
        return string.Equals(name, cookieName, StringComparison.OrdinalIgnoreCase) || string.Equals(name, _placeCookieName, StringComparison.OrdinalIgnoreCase);
    }
}
