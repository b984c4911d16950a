namespace WaitingRoom.Access;

/// <summary>WR_CRAWLERS: what a search-engine crawler gets while the room would queue it.</summary>
public enum CrawlerMode
{
    /// <summary>503 with Retry-After and a noindex page, never a place (the default).</summary>
    Unavailable,

    /// <summary>Treated as any visitor: it queues and takes a place.</summary>
    Queue,

    /// <summary>Forwarded without a place, but only from WR_CRAWLER_CIDRS; elsewhere as <see cref="Unavailable"/>.</summary>
    Bypass,
}
