namespace WaitingRoom.Queue;

/// <summary>Where a visitor stands in a room. The numbers are those the Lua scripts return.</summary>
public enum VisitorState
{
    /// <summary>Not in the room (never seen, expired, or dropped for not polling).</summary>
    Unknown = 0,

    /// <summary>Admitted: requests are forwarded.</summary>
    Active = 1,

    /// <summary>Promoted from the queue; becomes active on its next request within the admission window.</summary>
    Released = 2,

    /// <summary>Waiting in line.</summary>
    Queued = 3,

    /// <summary>Turned away without a place: the room is full and in reject mode.</summary>
    Rejected = 4,

    /// <summary>Turned away without a place: the client's address created too many entries this minute.</summary>
    Limited = 5,

    /// <summary>Turned away without a place: the queue holds the room's WR_MAX_QUEUE waiters already.</summary>
    Full = 6,
}
