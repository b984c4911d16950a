using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;
using WaitingRoom.Operations;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Access;

/// <summary>
/// Who is let past the room before any store call, by the client address that WR_TRUSTED_PROXIES
/// yields (the forwarded-headers middleware has already set it): denied networks (global and the
/// room's, deny wins), allowed networks (never queue), and search-engine crawlers (WR_CRAWLERS).
/// Every check is synchronous and allocation-free; with nothing configured each is one branch.
/// </summary>
internal sealed partial class AccessRules
{
    /// <summary>Seconds a crawler is told to come back after while the room queues.</summary>
    public const int CrawlerRetryAfterSeconds = 300;

    private readonly NetworkList _allow;
    private readonly NetworkList _deny;
    private readonly NetworkList _crawlerNetworks;
    private readonly RoomMonitor _monitor;
    private readonly TimeProvider _time;
    private readonly TimeSpan _staleAfter;

    public AccessRules(IOptions<WaitingRoomOptions> options, RoomMonitor monitor, TimeProvider time)
    {
        var o = options.Value;
        (_allow, _deny, _crawlerNetworks, Crawlers) = (o.AllowCidrs, o.DenyCidrs, o.CrawlerCidrs, o.Crawlers);
        (_monitor, _time) = (monitor, time);

        // The room's numbers are sampled every release interval; older than a few means the store
        // is not answering, and then "free" cannot be claimed.
        _staleAfter = TimeSpan.FromTicks(Math.Max(o.ReleaseInterval.Ticks * 3, TimeSpan.FromSeconds(10).Ticks));
    }

    public CrawlerMode Crawlers { get; }

    /// <summary>True when the address is in WR_DENY_CIDRS or the room's <c>denyCidrs</c>.</summary>
    public bool IsDenied(IPAddress? address, RoomSettings room) => _deny.Contains(address) || room.DenyCidrs.Contains(address);

    /// <summary>True when the address is in WR_ALLOW_CIDRS or the room's <c>allowCidrs</c> (check <see cref="IsDenied"/> first).</summary>
    public bool IsAllowed(IPAddress? address, RoomSettings room) => _allow.Contains(address) || room.AllowCidrs.Contains(address);

    /// <summary>
    /// What a request gets under WR_CRAWLERS: <see cref="CrawlerVerdict.Visitor"/> unless its
    /// user agent is a known crawler's and the mode is not <c>queue</c>. A crawler never takes a
    /// place: it is forwarded without one from WR_CRAWLER_CIDRS in bypass mode, or while the room
    /// admits freely (what it then indexes is the real page); else it is deferred (503).
    /// </summary>
    public CrawlerVerdict Crawler(HttpRequest request, IPAddress? address, RoomSettings room)
    {
        if (Crawlers == CrawlerMode.Queue || !CrawlerAgents.IsCrawler(request.Headers.UserAgent))
        {
            return CrawlerVerdict.Visitor;
        }

        if (Crawlers == CrawlerMode.Bypass && _crawlerNetworks.Contains(address))
        {
            return CrawlerVerdict.Bypass;
        }

        return WouldQueue(room) ? CrawlerVerdict.Deferred : CrawlerVerdict.Forward;
    }

    /// <summary>
    /// Whether a newcomer would wait now, from the room's mode and its numbers of at most a few
    /// release intervals ago (no store call: a crawler must not cost one). Unknown counts as yes.
    /// </summary>
    private bool WouldQueue(RoomSettings room)
    {
        var now = _time.GetUtcNow();
        var policy = room.PolicyAt(now);
        if (policy.Mode == QueueMode.Passthrough)
        {
            return false;
        }

        if (policy.Mode == QueueMode.QueueAll || policy.MaxActive == 0 || _monitor.LatestOf(room.Name) is not { } sample || now - sample.Time > _staleAfter)
        {
            return true;
        }

        return sample.Counts.Queued > 0 || sample.Counts.Active + sample.Counts.Released >= sample.Capacity;
    }
}

/// <summary>What <see cref="AccessRules.Crawler"/> decided for one request.</summary>
internal enum CrawlerVerdict
{
    /// <summary>Not a crawler (or WR_CRAWLERS=queue): the usual admission.</summary>
    Visitor,

    /// <summary>A crawler from WR_CRAWLER_CIDRS with WR_CRAWLERS=bypass: forwarded without a place.</summary>
    Bypass,

    /// <summary>A crawler while the room admits freely: forwarded without a place.</summary>
    Forward,

    /// <summary>A crawler while the room would queue: 503, Retry-After, noindex.</summary>
    Deferred,
}
