namespace WaitingRoom.Codes;

/// <summary>What one redemption of a code did.</summary>
public enum CodeRedemption
{
    /// <summary>One use was counted and the visitor now waits in the code's lane.</summary>
    Accepted = 0,

    /// <summary>The visitor redeemed this code before: no use counted; it is in the lane (again).</summary>
    AlreadyRedeemed = 1,

    /// <summary>The visitor is active or released already (or the room is off): nothing counted, nothing changed.</summary>
    NotNeeded = 2,

    /// <summary>No such code (or the hash does not match): nothing changed.</summary>
    Invalid = 3,

    /// <summary>Revoked by an administrator: nothing changed.</summary>
    Revoked = 4,

    /// <summary>Past its expiry: nothing changed.</summary>
    Expired = 5,

    /// <summary>Every use is taken: nothing changed.</summary>
    UsedUp = 6,
}
