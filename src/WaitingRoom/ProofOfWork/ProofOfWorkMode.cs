namespace WaitingRoom.ProofOfWork;

/// <summary>WR_POW: whether newcomers solve a proof-of-work challenge before they take a place.</summary>
public enum ProofOfWorkMode
{
    /// <summary>No challenge: nothing is computed or checked on any request.</summary>
    Off = 0,

    /// <summary>The difficulty follows the room's pressure: none while it admits freely, up to WR_POW_DIFFICULTY as the queue grows.</summary>
    Auto = 1,

    /// <summary>Every newcomer solves at WR_POW_DIFFICULTY.</summary>
    On = 2,
}
