using Microsoft.Extensions.Logging;

namespace WaitingRoom.Adaptive;

internal sealed partial class AdaptiveCapacityService
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.CapacityChanged, Level = LogLevel.Information, EventName = nameof(EventIds.CapacityChanged),
            Message = "Room {Room}: capacity {Before} -> {After} ({Reason}; p95 {P95} s, error share {ErrorShare} over {Requests} requests, {Used} in, {Queued} waiting).")]
        public static partial void Changed(ILogger logger, string room, int before, int after, string reason, double p95, double errorShare, long requests, long used, long queued);

        [LoggerMessage(EventId = EventIds.CapacityHold, Level = LogLevel.Warning, EventName = nameof(EventIds.CapacityHold),
            Message = "Room {Room} holds at capacity {Capacity}: the origin fails ({Failed} of {Requests} requests, {Run} in a row); nobody new is let in, nobody is dropped, places are kept.")]
        public static partial void Hold(ILogger logger, string room, int capacity, long failed, long requests, int run);

        [LoggerMessage(EventId = EventIds.CapacityStepFailed, Level = LogLevel.Warning, EventName = nameof(EventIds.CapacityStepFailed),
            Message = "Could not step the adaptive capacity (the store did not answer); the capacity in force stays, and the next interval tries again.")]
        public static partial void StepFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = EventIds.CapacityStepRecovered, Level = LogLevel.Information, EventName = nameof(EventIds.CapacityStepRecovered),
            Message = "The adaptive capacity steps again.")]
        public static partial void StepRecovered(ILogger logger);
    }
}
