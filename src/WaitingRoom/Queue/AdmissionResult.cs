namespace WaitingRoom.Queue;

/// <summary>The answer of one admission or status step.</summary>
/// <param name="State">Where the visitor stands after the step.</param>
/// <param name="Position">1-based place in the queue when queued, else 0.</param>
/// <param name="QueueLength">Visitors in the queue after the step.</param>
/// <param name="RetryAfterMilliseconds">For <see cref="VisitorState.Limited"/>: when the client may try again.</param>
public readonly record struct AdmissionResult(VisitorState State, long Position, long QueueLength, long RetryAfterMilliseconds = 0)
{
    /// <summary>True when this step took a new slot for the visitor straight away (not a refresh, not a promoted arrival).</summary>
    public bool Admitted { get; init; }

    /// <summary>
    /// For <see cref="VisitorState.Active"/>: when this admission began (Unix milliseconds, the store's
    /// session start that WR_SESSION_MAX counts from); the same on every request of one admission and
    /// new for the next one. 0 when the store did not say.
    /// </summary>
    public long AdmittedAt { get; init; }

    // Analytics (WaitingRoom.Analytics): facts the store alone knows, read by the instance's counters.

    /// <summary>True when this step gave a newcomer (not one pushed back by queue-all) a new place in line.</summary>
    public bool Joined { get; init; }

    /// <summary>When this step admitted the head of the line (<see cref="Admitted"/> from the queue): its time in queue in milliseconds, else null.</summary>
    public long? WaitedMilliseconds { get; init; }

    /// <summary>
    /// For <see cref="VisitorState.Queued"/>: the waiter's order in the line (an arrival ticket from 1; below 1 for
    /// code lanes, visitors pushed back and random draws), which its place cookie carries; 0 when the store did not say.
    /// </summary>
    public long Order { get; init; }

    /// <summary>Equality is the visitor's standing; <see cref="Joined"/>, <see cref="WaitedMilliseconds"/> (analytics facts) and <see cref="Order"/> are not part of it.</summary>
    public bool Equals(AdmissionResult other) =>
        State == other.State && Position == other.Position && QueueLength == other.QueueLength
        && RetryAfterMilliseconds == other.RetryAfterMilliseconds && Admitted == other.Admitted && AdmittedAt == other.AdmittedAt;

    public override int GetHashCode() => HashCode.Combine(State, Position, QueueLength, RetryAfterMilliseconds, Admitted, AdmittedAt);
}
