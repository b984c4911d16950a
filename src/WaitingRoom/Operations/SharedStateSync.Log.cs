using Microsoft.Extensions.Logging;

namespace WaitingRoom.Operations;

internal sealed partial class SharedStateSync
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 520, Level = LogLevel.Warning, EventName = "SharedStateFailed",
            Message = "Could not load the shared settings and room numbers from the store; the settings in force stay, and the next interval tries again.")]
        public static partial void Failed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 521, Level = LogLevel.Information, EventName = "SharedStateRecovered",
            Message = "The shared settings and room numbers load again.")]
        public static partial void Recovered(ILogger logger);
    }
}
