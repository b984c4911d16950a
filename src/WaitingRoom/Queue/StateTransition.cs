namespace WaitingRoom.Queue;

/// <summary>What <see cref="IWaitingRoomStore.RecordTransitionAsync"/> did to a room's shared record of one subject.</summary>
/// <param name="Changed">True when this call recorded a new state: the caller is the one instance to report the change.</param>
/// <param name="Previous">The state recorded before; null when there was none (nothing to report: the first observation).</param>
public readonly record struct StateTransition(bool Changed, string? Previous);
