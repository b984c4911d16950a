using Microsoft.Extensions.Logging;

namespace WaitingRoom.Admission;

internal sealed partial class AdmissionMiddleware
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.StoreUnavailable, Level = LogLevel.Warning, EventName = nameof(EventIds.StoreUnavailable),
            Message = "The store is unreachable; {Action} until it is back.")]
        public static partial void StoreUnavailable(ILogger logger, string action, Exception exception);

        [LoggerMessage(EventId = EventIds.StoreRecovered, Level = LogLevel.Information, EventName = nameof(EventIds.StoreRecovered),
            Message = "The store answers again; normal admission resumed.")]
        public static partial void StoreRecovered(ILogger logger);
    }
}
