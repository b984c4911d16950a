using Microsoft.Extensions.Logging;

namespace WaitingRoom.Operations;

internal sealed partial class SharedStateSync
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.SharedStateFailed, Level = LogLevel.Warning, EventName = nameof(EventIds.SharedStateFailed),
            Message = "Could not load the shared settings and room numbers from the store; the settings in force stay, and the next interval tries again.")]
        public static partial void Failed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = EventIds.SharedStateRecovered, Level = LogLevel.Information, EventName = nameof(EventIds.SharedStateRecovered),
            Message = "The shared settings and room numbers load again.")]
        public static partial void Recovered(ILogger logger);
    }
}
