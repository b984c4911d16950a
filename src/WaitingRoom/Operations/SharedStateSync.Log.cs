using Microsoft.Extensions.Logging;

namespace WaitingRoom.Operations;

internal sealed partial class SharedStateSync
{
    [LoggerMessage(EventId = EventIds.SharedStateFailed, Level = LogLevel.Warning, EventName = nameof(EventIds.SharedStateFailed),
        Message = "Could not load the shared settings and room numbers from the store; the settings in force stay, and the next interval tries again.")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = EventIds.SharedStateRecovered, Level = LogLevel.Information, EventName = nameof(EventIds.SharedStateRecovered),
        Message = "The shared settings and room numbers load again.")]
    private static partial void LogRecovered(ILogger logger);
}
