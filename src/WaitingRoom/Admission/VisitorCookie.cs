using Microsoft.AspNetCore.Http;

namespace WaitingRoom.Admission;

/// <summary>The one place that decides how the visitor cookie is written.</summary>
internal static class VisitorCookie
{
    /// <summary>How long a browser keeps the cookie; the room's own TTLs decide what it is worth.</summary>
    private static readonly TimeSpan s_maxAge = TimeSpan.FromDays(1);

    /// <summary>HttpOnly, SameSite=Lax, Secure on HTTPS, Path=/.</summary>
    public static CookieOptions Options(HttpContext context) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = context.Request.IsHttps,
        Path = "/",
        MaxAge = s_maxAge,
        IsEssential = true,
    };
}
