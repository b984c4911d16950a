using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Adaptive;

/// <summary>
/// The operator's pin (<c>adaptive.pinned</c>, from the admin API or the rooms file) as a change of
/// the stored capacity. The admin API applies it at once, on the instance that took the PATCH (so the
/// audit line names the operator's token); the controller applies it on every instance from the
/// settings it has (a pin from the rooms file, or one set through an instance that went away before).
/// </summary>
internal static class OperatorPin
{
    /// <summary>The reason stored when an operator's pin is taken away.</summary>
    public const string Unpinned = "unpinned";

    /// <summary>The change that brings the stored capacity in line with <paramref name="pin"/>, or null when it is so already.</summary>
    public static CapacityChange? ChangeFor(int? pin, RoomPolicy policy, CapacityState state)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(state);
        const string operatorName = AdaptiveCapacityService.PinnedByOperator;
        if (pin is { } value)
        {
            var pinned = CapacityState.Bounded(policy, value);
            return state.PinnedBy == operatorName && state.Capacity == pinned && !state.Hold
                ? null
                : new CapacityChange(null, pinned, false, operatorName, operatorName) { By = operatorName };
        }

        // The operator took the pin away: the controller goes on from the pinned value.
        return state.PinnedBy == operatorName
            ? new CapacityChange(state.Version, state.Capacity, false, null, Unpinned) { By = operatorName }
            : null;
    }

    /// <summary>
    /// True when an operator pinned or unpinned the stored capacity less than <paramref name="catchUp"/>
    /// ago: an instance whose settings do not show it yet (they are read from the store once an interval)
    /// leaves it alone rather than undo it.
    /// </summary>
    public static bool JustChanged(CapacityState state, DateTimeOffset now, TimeSpan catchUp) =>
        state.Reason is AdaptiveCapacityService.PinnedByOperator or Unpinned && state.ChangedAt is { } at && now - at < catchUp;
}
