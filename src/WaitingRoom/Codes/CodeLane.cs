namespace WaitingRoom.Codes;

/// <summary>The lane of the queue a code puts its holder in; both are ahead of the general line.</summary>
public enum CodeLane
{
    /// <summary>Ahead of everyone waiting: admitted at the next free slot.</summary>
    Skip = 0,

    /// <summary>Ahead of the general line, behind skip holders, in its own arrival order.</summary>
    Priority = 1,
}
