using Microsoft.Extensions.Logging;

namespace WaitingRoom.Admission;

internal sealed partial class AdmissionMiddleware
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Warning, EventName = "StoreUnavailable",
            Message = "The store is unreachable; {Action} until it is back.")]
        public static partial void StoreUnavailable(ILogger logger, string action, Exception exception);

        [LoggerMessage(EventId = 101, Level = LogLevel.Information, EventName = "StoreRecovered",
            Message = "The store answers again; normal admission resumed.")]
        public static partial void StoreRecovered(ILogger logger);
    }
}
