using Microsoft.Extensions.Logging;

namespace WaitingRoom.Proxy;

internal sealed partial class BackendDestinations
{
    [LoggerMessage(EventId = EventIds.BackendsLoaded, Level = LogLevel.Information, EventName = nameof(EventIds.BackendsLoaded),
        Message = "Backend destinations now: {Destinations}.")]
    private static partial void LogDestinationsLoaded(ILogger logger, string destinations);

    [LoggerMessage(EventId = EventIds.BackendsUnreadable, Level = LogLevel.Warning, EventName = nameof(EventIds.BackendsUnreadable),
        Message = "The stored backend list ({Length} characters) cannot be read; keeping the destinations in use. Change it through the admin API to replace it.")]
    private static partial void LogStoredListUnreadable(ILogger logger, int length);
}
