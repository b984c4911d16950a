using Microsoft.Extensions.Logging;

namespace WaitingRoom.Queue;

internal sealed partial class PromotionService
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.PromotionRound, Level = LogLevel.Information, EventName = nameof(EventIds.PromotionRound),
            Message = "Room {Room}: promoted {Promoted}, expired {ExpiredActive} idle active, {ExpiredReleased} unclaimed releases, dropped {Abandoned} waiters who stopped polling.")]
        public static partial void RoundCompleted(ILogger logger, string room, long promoted, long expiredActive, long expiredReleased, long abandoned);

        [LoggerMessage(EventId = EventIds.PromotionRoundFailed, Level = LogLevel.Warning, EventName = nameof(EventIds.PromotionRoundFailed),
            Message = "Room {Room}: promotion round failed; the next round will try again.")]
        public static partial void RoundFailed(ILogger logger, string room, Exception exception);
    }
}
