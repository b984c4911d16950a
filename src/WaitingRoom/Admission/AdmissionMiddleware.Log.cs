using Microsoft.Extensions.Logging;

namespace WaitingRoom.Admission;

internal sealed partial class AdmissionMiddleware
{
    [LoggerMessage(EventId = EventIds.StoreUnavailable, Level = LogLevel.Warning, EventName = nameof(EventIds.StoreUnavailable),
        Message = "The store is unreachable; {Action} until it is back.")]
    private static partial void LogStoreUnavailable(ILogger logger, string action, Exception exception);

    [LoggerMessage(EventId = EventIds.StoreRecovered, Level = LogLevel.Information, EventName = nameof(EventIds.StoreRecovered),
        Message = "The store answers again; normal admission resumed.")]
    private static partial void LogStoreRecovered(ILogger logger);
}
