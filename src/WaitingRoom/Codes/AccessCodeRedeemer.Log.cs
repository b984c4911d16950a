using Microsoft.Extensions.Logging;

namespace WaitingRoom.Codes;

internal sealed partial class AccessCodeRedeemer
{
    [LoggerMessage(EventId = EventIds.CodeGuessesLimited, Level = LogLevel.Warning, EventName = nameof(EventIds.CodeGuessesLimited),
        Message = "Access codes: more than {Limit} wrong codes from {Client} this minute in room {Room}; its code attempts get 429 for {Seconds} s")]
    private static partial void LogGuessesLimited(ILogger logger, int limit, string client, string room, int seconds);

    [LoggerMessage(EventId = EventIds.CodeRedeemed, Level = LogLevel.Debug, EventName = nameof(EventIds.CodeRedeemed),
        Message = "Access code {Id} in room {Room} for visitor {Visitor}: {Outcome}")]
    private static partial void LogRedeemed(ILogger logger, string id, string room, string visitor, CodeRedemption outcome);
}
