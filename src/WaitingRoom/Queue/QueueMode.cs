namespace WaitingRoom.Queue;

/// <summary>How a room lets visitors in (WR_QUEUE_MODE, <c>queueMode</c> in the rooms file).</summary>
public enum QueueMode
{
    /// <summary>First come, first served: the queue is released in arrival order.</summary>
    Fifo = 0,

    /// <summary>A draw: each time places free up, everyone waiting has the same chance.</summary>
    Random = 1,

    /// <summary>The room is off: visitors are counted as active, nobody is ever queued.</summary>
    Passthrough = 2,

    /// <summary>Nobody gets in (maintenance, before a sale): everyone waits and keeps its place.</summary>
    QueueAll = 3,

    /// <summary>No queue: when the room is full a newcomer gets a "closed / sold out" page (503) and takes no place.</summary>
    Reject = 4,
}
