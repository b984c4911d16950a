using Microsoft.Extensions.Logging;

namespace WaitingRoom.Assertion;

internal sealed partial class AdmissionKeyRing
{
    [LoggerMessage(EventId = EventIds.AdmissionKeyListed, Level = LogLevel.Information, EventName = nameof(EventIds.AdmissionKeyListed),
        Message = "Admission signing key {Kid} is listed at /_wr/.well-known/jwks.json; it signs from {SignsFrom:o} until {SignsUntil:o}.")]
    private static partial void LogKeyListed(ILogger logger, string kid, DateTimeOffset signsFrom, DateTimeOffset signsUntil);
}
