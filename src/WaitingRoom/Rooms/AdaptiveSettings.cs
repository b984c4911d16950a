namespace WaitingRoom.Rooms;

/// <summary>
/// A room's adaptive capacity (WR_ADAPTIVE, WR_MIN_ACTIVE, WR_ADAPTIVE_TARGET_P95,
/// WR_ADAPTIVE_MAX_ERRORS; <c>adaptive</c> in the rooms file and the admin PATCH): when on, the
/// capacity the room admits against follows the origin's health between <see cref="MinActive"/>
/// and the room's maxActive (see <see cref="Adaptive.CapacityController"/>).
/// </summary>
public sealed record AdaptiveSettings
{
    /// <summary>Off, with the documented defaults.</summary>
    public static AdaptiveSettings Off { get; } = new();

    /// <summary>True when the capacity follows the origin; false = maxActive, as always.</summary>
    public bool On { get; init; }

    /// <summary>Lower bound of the capacity; the upper bound is the room's maxActive.</summary>
    public int MinActive { get; init; } = 1;

    /// <summary>The p95 of forwarded requests the controller keeps the origin under.</summary>
    public TimeSpan TargetP95 { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Share of forwarded requests (5xx, transport failures) that may fail before the capacity is cut.</summary>
    public double MaxErrors { get; init; } = 0.05;

    /// <summary>A capacity the operator fixed (the controller stays off it); null = the controller's.</summary>
    public int? Pinned { get; init; }
}
