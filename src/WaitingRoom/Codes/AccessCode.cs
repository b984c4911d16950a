namespace WaitingRoom.Codes;

/// <summary>One access code of a room as the store keeps it: never the code, only its hash.</summary>
/// <param name="Id">The code's public id (also the code's first part, so a redemption finds its record in one step).</param>
/// <param name="Hash">SHA-256 of the room and the code (hex): what a redemption is compared against.</param>
/// <param name="Lane">Where a holder waits.</param>
/// <param name="Uses">How many visitors may redeem it.</param>
/// <param name="Used">How many have.</param>
/// <param name="ExpiresAt">It redeems until this instant.</param>
/// <param name="CreatedAt">When an administrator created it.</param>
/// <param name="Revoked">Revoked by an administrator: it redeems no more.</param>
public sealed record AccessCode(string Id, string Hash, CodeLane Lane, int Uses, int Used, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, bool Revoked)
{
    /// <summary>
    /// How long a code's record outlives its expiry (the store removes it then): the dashboard still shows
    /// what an expired code did for a week, and a room's codes cannot pile up for ever.
    /// </summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);
}
