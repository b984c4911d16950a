using Microsoft.Extensions.Logging;
using WaitingRoom.Configuration;

namespace WaitingRoom.Access;

internal sealed partial class AccessRules
{
    /// <summary>One start-up line with the screening in force, when anything differs from the defaults.</summary>
    public static void LogAtStart(ILogger logger, WaitingRoomOptions options)
    {
        var roomDenied = options.Rooms.Sum(r => r.DenyCidrs.Networks.Count);
        var roomAllowed = options.Rooms.Sum(r => r.AllowCidrs.Networks.Count);
        if (options.DenyCidrs.IsEmpty && options.AllowCidrs.IsEmpty && roomDenied + roomAllowed == 0 && options.Crawlers == CrawlerMode.Unavailable && options.QueueStatus == 200)
        {
            return;
        }

        var crawlers = options.Crawlers.ToString().ToLowerInvariant();
        LogScreening(logger, options.DenyCidrs.Networks.Count, options.AllowCidrs.Networks.Count, roomDenied, roomAllowed, crawlers, options.CrawlerCidrs.Networks.Count, options.QueueStatus);
    }

    [LoggerMessage(EventId = EventIds.AccessScreening, Level = LogLevel.Information, EventName = nameof(EventIds.AccessScreening),
        Message = "Client screening: {Denied} denied and {Allowed} allowed networks in every room, {RoomDenied} denied and {RoomAllowed} allowed in rooms of the rooms file; crawlers: {Crawlers} ({CrawlerNetworks} crawler networks); queue page status {QueueStatus}")]
    private static partial void LogScreening(ILogger logger, int denied, int allowed, int roomDenied, int roomAllowed, string crawlers, int crawlerNetworks, int queueStatus);
}
