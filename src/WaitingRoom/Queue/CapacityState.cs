namespace WaitingRoom.Queue;

/// <summary>
/// A room's adaptive capacity as the store holds it, the same for every instance: the number the
/// admission and promotion steps admit against (<see cref="Effective"/>), why it is what it is, and
/// a version that every change increments (for compare-and-set, <see cref="CapacityChange"/>).
/// </summary>
/// <param name="Capacity">The capacity, within the policy's bounds (the lower bound until a first change is stored).</param>
/// <param name="Hold">True while the origin is down or failing: nobody new is admitted, nobody is dropped.</param>
/// <param name="PinnedBy">"operator" or "origin" when the value is fixed and the controller stays off it; null otherwise.</param>
/// <param name="Reason">What set it: start, latency, errors, healthy, hold, resume, origin, operator, …</param>
/// <param name="Version">0 before any change; incremented by each change.</param>
/// <param name="ChangedAt">When it last changed; null before any change.</param>
public sealed record CapacityState(int Capacity, bool Hold, string? PinnedBy, string Reason, long Version, DateTimeOffset? ChangedAt)
{
    /// <summary>What newcomers are admitted against now: nobody while holding.</summary>
    public int Effective => Hold ? 0 : Capacity;

    /// <summary>The state of a room whose capacity was never changed: its lower bound.</summary>
    public static CapacityState Initial(RoomPolicy room) => new(room.MinActive, false, null, "start", 0, null);

    /// <summary>A stored capacity within the policy's bounds (a setting may have changed since it was stored).</summary>
    public static int Bounded(RoomPolicy room, long stored) => (int)Math.Min(room.MaxActive, Math.Max(room.MinActive, stored));
}

/// <summary>
/// A change of a room's adaptive capacity: applied only when the stored version is still
/// <paramref name="ExpectedVersion"/> (null: whatever it is) and the last change is at least
/// <paramref name="MinGap"/> old, so instances that decide at the same moment make one step, not one each.
/// A change that is applied is also added to the room's recent changes (<see cref="CapacityChangeRecord"/>), in the same step.
/// </summary>
public sealed record CapacityChange(long? ExpectedVersion, int Capacity, bool Hold, string? PinnedBy, string Reason, TimeSpan MinGap = default)
{
    /// <summary>Who made it: "controller", "origin" or "operator".</summary>
    public string By { get; init; } = "controller";

    /// <summary>The p95 (seconds) of the window the controller judged, when it judged one with answers.</summary>
    public double? P95 { get; init; }

    /// <summary>The share of failed requests of the window the controller judged, when it judged one with requests.</summary>
    public double? ErrorShare { get; init; }
}
