using Microsoft.Extensions.Logging;

namespace WaitingRoom.ProofOfWork;

internal sealed partial class ProofOfWorkGate
{
    [LoggerMessage(EventId = EventIds.ProofRefused, Level = LogLevel.Debug, EventName = nameof(EventIds.ProofRefused),
        Message = "A WR-PoW header was refused ({Check}) for visitor {Visitor} in room {Room}; a newcomer gets a fresh challenge.")]
    private static partial void LogProofRefusedCore(ILogger logger, ProofCheck check, string visitor, string room);

    /// <summary>Logs a refused proof with the visitor's short tag (never the token), only when Debug is on.</summary>
    private static void LogProofRefused(ILogger logger, ProofCheck check, string visitorId, string room)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var tag = Admission.VisitorTokenSigner.LogTag(visitorId);
            LogProofRefusedCore(logger, check, tag, room);
        }
    }
}
