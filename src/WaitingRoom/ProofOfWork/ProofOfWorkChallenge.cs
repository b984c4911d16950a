namespace WaitingRoom.ProofOfWork;

/// <summary>One challenge as a newcomer gets it.</summary>
/// <param name="Text">The opaque challenge string: <c>{window}-{difficulty}-{mac}</c>, without a '.'.</param>
/// <param name="Difficulty">Leading zero bits SHA-256 of <c>{Text}.{nonce}</c> must have.</param>
/// <param name="ExpiresAt">The end of the next window: a solution is accepted until then.</param>
public readonly record struct ProofOfWorkChallenge(string Text, int Difficulty, DateTimeOffset ExpiresAt);
