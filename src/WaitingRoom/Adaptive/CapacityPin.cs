using WaitingRoom.Queue;

namespace WaitingRoom.Adaptive;

/// <summary>
/// A pin of the stored capacity as a change: the operator's (<c>adaptive.pinned</c>, from the admin
/// API or the rooms file) or the origin's (<c>WR-Command: capacity=N</c>, taken away by
/// <c>capacity=auto</c>). The admin API applies the operator's at once, on the instance that took the
/// PATCH (so the audit line names the operator's token); the controller applies it on every instance
/// from the settings it has (a pin from the rooms file, or one set through an instance that went away before).
/// </summary>
internal static class CapacityPin
{
    /// <summary>The reason stored when an operator's pin is taken away.</summary>
    public const string Unpinned = "unpinned";

    /// <summary>The reason stored when the origin's pin is taken away (<c>capacity=auto</c>).</summary>
    public const string OriginAuto = "origin-auto";

    /// <summary>
    /// The change that brings the stored capacity in line with <paramref name="pin"/> of
    /// <paramref name="pinnedBy"/> (null: not pinned by it, <paramref name="unpinned"/> the reason), or
    /// null when it is so already. The one who pins is the one the change is by.
    /// </summary>
    public static CapacityChange? ChangeFor(string pinnedBy, string unpinned, int? pin, RoomPolicy policy, CapacityState state)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(state);
        if (pin is { } value)
        {
            var pinned = CapacityState.Bounded(policy, value);
            return state.PinnedBy == pinnedBy && state.Capacity == pinned && !state.Hold
                ? null
                : new CapacityChange(null, pinned, false, pinnedBy, pinnedBy) { By = pinnedBy };
        }

        // The pin was taken away: the controller goes on from the pinned value.
        return state.PinnedBy == pinnedBy
            ? new CapacityChange(state.Version, state.Capacity, false, null, unpinned) { By = pinnedBy }
            : null;
    }

    /// <summary>The operator's pin (<c>adaptive.pinned</c>) as a change, or null when it is in force already.</summary>
    public static CapacityChange? OperatorChangeFor(int? pin, RoomPolicy policy, CapacityState state) =>
        ChangeFor(AdaptiveCapacityService.PinnedByOperator, Unpinned, pin, policy, state);

    /// <summary>
    /// True when an operator pinned or unpinned the stored capacity less than <paramref name="catchUp"/>
    /// ago: an instance whose settings do not show it yet (they are read from the store once an interval)
    /// leaves it alone rather than undo it.
    /// </summary>
    public static bool JustChanged(CapacityState state, DateTimeOffset now, TimeSpan catchUp) =>
        state.Reason is AdaptiveCapacityService.PinnedByOperator or Unpinned && state.ChangedAt is { } at && now - at < catchUp;
}
