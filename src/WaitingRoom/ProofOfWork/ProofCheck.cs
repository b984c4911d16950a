namespace WaitingRoom.ProofOfWork;

/// <summary>What a <c>WR-PoW</c> header was found to be; anything but <see cref="Valid"/> earns a fresh challenge.</summary>
public enum ProofCheck
{
    /// <summary>A challenge of this visitor, room and window, at the difficulty in force or higher, solved.</summary>
    Valid = 0,

    /// <summary>No header.</summary>
    Missing,

    /// <summary>Not <c>&lt;challenge&gt;.&lt;decimal nonce&gt;</c> with a challenge of the room's shape (or several headers).</summary>
    Malformed,

    /// <summary>Its window is neither the current nor the previous one.</summary>
    Stale,

    /// <summary>Issued at a lower difficulty than the one in force now (the pressure grew since).</summary>
    TooEasy,

    /// <summary>The MAC does not check out: another visitor's or another room's challenge, or a forged one.</summary>
    Foreign,

    /// <summary>The hash has fewer leading zero bits than the challenge's difficulty.</summary>
    Unsolved,
}
