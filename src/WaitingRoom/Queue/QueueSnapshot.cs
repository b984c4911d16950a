namespace WaitingRoom.Queue;

/// <summary>
/// What an instance needs to answer the polls of waiters far from the head without the store: read by
/// every instance a few times a second (see <see cref="QueueSnapshots"/>), one O(log N) step.
/// </summary>
/// <param name="QueueLength">Waiters in the queue.</param>
/// <param name="HeadTicket">The lowest arrival ticket (order ≥ 1) still waiting; the next ticket when none waits.</param>
/// <param name="GeneralAhead">Waiters of the general line ahead of every ticket: pushed back by queue-all, and random draws.</param>
/// <param name="NearMark">The highest ticket the store already judges (see <see cref="RoomPolicy.NearZone"/>): a waiter with a
/// higher ticket is far from the head and its polls are answered by the instances; one at or below it polls the store.</param>
public readonly record struct QueueSnapshot(long QueueLength, long HeadTicket, long GeneralAhead, long NearMark)
{
    /// <summary>
    /// The waiter holding <paramref name="ticket"/> is far from the head: it is still in line (nobody drops a
    /// waiter beyond the mark, and the head has not reached it) and its polls need not reach the store.
    /// </summary>
    public bool IsFar(long ticket) => ticket > NearMark && ticket >= HeadTicket;

    /// <summary>
    /// An upper bound of a far waiter's place in its line: everyone of the general line ahead of the tickets,
    /// plus every ticket between the head's and its own (some may have left). Places only move up, so the bound
    /// stays one for as long as the snapshot is older than the moment it is shown.
    /// </summary>
    public long PositionBound(long ticket) => GeneralAhead + (ticket - HeadTicket) + 1;
}
