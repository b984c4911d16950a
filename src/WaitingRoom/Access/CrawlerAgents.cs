using System.Buffers;
using Microsoft.Extensions.Primitives;

namespace WaitingRoom.Access;

/// <summary>
/// The user agents of the search engines' crawlers: one list, matched in one pass by the
/// framework's multi-string <see cref="SearchValues{T}"/> (case-insensitive), with no allocation.
/// A user agent is a claim anyone can make: it only ever takes something away (a place, a 200);
/// a bypass also needs the address to be in WR_CRAWLER_CIDRS.
/// </summary>
public static class CrawlerAgents
{
    /// <summary>
    /// Tokens of the crawlers that index pages for search (and their ad and preview bots, which also
    /// must not see the queue page as the product's): each is documented by its engine.
    /// </summary>
    public static readonly IReadOnlyList<string> Tokens =
    [
        "Googlebot", "Google-InspectionTool", "Storebot-Google", "AdsBot-Google", "Mediapartners-Google", "GoogleOther",
        "bingbot", "BingPreview", "adidxbot", "msnbot",
        "DuckDuckBot", "Baiduspider", "YandexBot", "YandexMobileBot", "YandexImages", "Applebot",
        "Yahoo! Slurp", "Sogou web spider", "Sogou inst spider", "Exabot", "SeznamBot", "PetalBot", "Qwantbot", "Qwantify",
        "Yeti/", "coccocbot", "MojeekBot", "Amazonbot",
    ];

    private static readonly SearchValues<string> s_tokens = SearchValues.Create([.. Tokens], StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the User-Agent names a known crawler.</summary>
    public static bool IsCrawler(StringValues userAgent)
    {
        // One value in practice; several User-Agent lines are checked each.
        for (var i = 0; i < userAgent.Count; i++)
        {
            if (userAgent[i] is { Length: > 0 } value && value.AsSpan().ContainsAny(s_tokens))
            {
                return true;
            }
        }

        return false;
    }
}
