using Microsoft.Extensions.Logging;

namespace WaitingRoom.Rooms;

internal sealed partial class RoomOverrides
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.RoomSettingsApplied, Level = LogLevel.Information, EventName = nameof(EventIds.RoomSettingsApplied),
            Message = "Room {Room}: run-time settings now {Settings}.")]
        public static partial void SettingsApplied(ILogger logger, string room, string settings);

        [LoggerMessage(EventId = EventIds.RoomSettingsInvalid, Level = LogLevel.Warning, EventName = nameof(EventIds.RoomSettingsInvalid),
            Message = "Room {Room}: the stored run-time settings are not valid ({Reasons}); keeping the settings in force. Change them through the admin API.")]
        public static partial void StoredSettingsInvalid(ILogger logger, string room, string reasons);
    }
}
