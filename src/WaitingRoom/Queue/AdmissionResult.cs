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
}
