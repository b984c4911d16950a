using Microsoft.Extensions.Logging;

namespace WaitingRoom.Queue;

internal sealed partial class PromotionService
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, EventName = "PromotionRound",
            Message = "Room {Room}: promoted {Promoted}, expired {ExpiredActive} idle active, {ExpiredReleased} unclaimed releases, dropped {Abandoned} waiters who stopped polling.")]
        public static partial void RoundCompleted(ILogger logger, string room, long promoted, long expiredActive, long expiredReleased, long abandoned);

        [LoggerMessage(EventId = 201, Level = LogLevel.Warning, EventName = "PromotionRoundFailed",
            Message = "Room {Room}: promotion round failed; the next round will try again.")]
        public static partial void RoundFailed(ILogger logger, string room, Exception exception);
    }
}
