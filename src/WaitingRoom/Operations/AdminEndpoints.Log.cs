using Microsoft.Extensions.Logging;

namespace WaitingRoom.Operations;

internal sealed partial class AdminEndpoints
{
    [LoggerMessage(EventId = EventIds.AdminChange, Level = LogLevel.Information, EventName = nameof(EventIds.AdminChange),
        Message = "Audit: {Actor} from {Client} did {Action} on {Target}: {Before} -> {After}")]
    internal static partial void LogChange(ILogger logger, string actor, string client, string action, string target, string before, string after);
}
