using Microsoft.Extensions.Logging;

namespace WaitingRoom.Proxy;

internal sealed partial class BackendDestinations
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.BackendsLoaded, Level = LogLevel.Information, EventName = nameof(EventIds.BackendsLoaded),
            Message = "Backend destinations now: {Destinations}.")]
        public static partial void DestinationsLoaded(ILogger logger, string destinations);

        [LoggerMessage(EventId = EventIds.BackendsUnreadable, Level = LogLevel.Warning, EventName = nameof(EventIds.BackendsUnreadable),
            Message = "The stored backend list ({Length} characters) cannot be read; keeping the destinations in use. Change it through the admin API to replace it.")]
        public static partial void StoredListUnreadable(ILogger logger, int length);
    }
}
