namespace WaitingRoom.Queue;

/// <summary>
/// One change of a room's adaptive capacity as the store keeps it (newest first, the last
/// <see cref="Kept"/> per room), so every instance shows the same list.
/// </summary>
/// <param name="At">When it was stored.</param>
/// <param name="From">The effective capacity before (0 while holding).</param>
/// <param name="To">The effective capacity after (0 while holding).</param>
/// <param name="Reason">Why: latency, errors, healthy, hold, resume, probe, operator, unpinned, origin, origin-auto.</param>
/// <param name="By">Who: controller, origin or operator.</param>
/// <param name="P95">The p95 (seconds) of the window behind it; null when no window was judged.</param>
/// <param name="ErrorShare">The share of failed requests of that window; null when no window was judged.</param>
public sealed record CapacityChangeRecord(DateTimeOffset At, int From, int To, string Reason, string By, double? P95, double? ErrorShare)
{
    /// <summary>How many changes a room keeps: a bounded list, the same few hundred bytes whatever the room's age.</summary>
    public const int Kept = 20;
}
