using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.ProofOfWork;

/// <summary>
/// The proof-of-work step of the admission middleware (registered only when WR_POW is not off):
/// the difficulty in force in a room, the check of a request's <c>WR-PoW</c> header and the fresh
/// challenge of a newcomer who has none that holds. Only newcomers are asked: the middleware lets
/// the store tell (<see cref="IWaitingRoomStore.AdmitKnownAsync"/>), in the same one step as the decision.
/// </summary>
internal sealed partial class ProofOfWorkGate
{
    /// <summary>The request header that carries a solution: <c>{challenge}.{decimal nonce}</c>.</summary>
    public const string HeaderName = "WR-PoW";

    private readonly ProofOfWorkMode _mode;
    private readonly int _maxDifficulty;
    private readonly ProofOfWorkPressure _pressure;
    private readonly ProofOfWorkChallenges _challenges;
    private readonly ILogger<ProofOfWorkGate> _logger;

    public ProofOfWorkGate(IOptions<WaitingRoomOptions> options, VisitorTokenSigner signer, ProofOfWorkPressure pressure, TimeProvider time, ILogger<ProofOfWorkGate> logger)
    {
        _mode = options.Value.ProofOfWork;
        _maxDifficulty = options.Value.ProofOfWorkDifficulty;
        _pressure = pressure;
        _challenges = new ProofOfWorkChallenges(signer.CurrentKey, time);
        _logger = logger;
    }

    /// <summary>Bits a newcomer of <paramref name="room"/> must solve now: the highest with WR_POW=on, by pressure with auto; 0 = none.</summary>
    public int DifficultyFor(RoomSettings room, RoomPolicy policy) =>
        policy.Mode == QueueMode.Passthrough ? 0
        : _mode == ProofOfWorkMode.On ? _maxDifficulty
        : _pressure.DifficultyFor(room.Name, policy.MaxActive, _maxDifficulty);

    /// <summary>True when the request carries a valid solution for this visitor and room at <paramref name="difficulty"/> bits or more.</summary>
    public bool HasProof(HttpRequest request, string room, string visitorId, int difficulty)
    {
        var values = request.Headers[HeaderName];
        var check = values.Count switch
        {
            0 => ProofCheck.Missing,
            1 => _challenges.Check(values[0], room, visitorId, difficulty),
            _ => ProofCheck.Malformed,
        };
        if (check is not (ProofCheck.Valid or ProofCheck.Missing))
        {
            LogProofRefused(_logger, check, visitorId, room);
        }

        return check == ProofCheck.Valid;
    }

    /// <summary>A fresh challenge for the visitor.</summary>
    public ProofOfWorkChallenge Issue(string room, string visitorId, int difficulty) => _challenges.Issue(room, visitorId, difficulty);

    /// <summary>Lets an answer of the store move the auto difficulty at once (see <see cref="ProofOfWorkPressure"/>).</summary>
    public void Observe(string room, AdmissionResult result, RoomPolicy policy)
    {
        if (_mode == ProofOfWorkMode.Auto)
        {
            _pressure.Observe(room, result, policy.MaxActive);
        }
    }
}
