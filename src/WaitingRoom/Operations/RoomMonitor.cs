using System.Collections.Concurrent;
using WaitingRoom.Queue;

namespace WaitingRoom.Operations;

/// <summary>
/// Every room's latest numbers (the store's), in memory, for metrics; fed by <see cref="SharedStateSync"/>.
/// The dashboard's history is the store's per-minute analytics (WaitingRoom.Analytics), the same on every instance.
/// </summary>
internal sealed class RoomMonitor
{
    private readonly ConcurrentDictionary<string, Sample> _rooms = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Records the room's numbers at <paramref name="now"/>.</summary>
    public void Record(string room, RoomCounts counts, int capacity, DateTimeOffset now) =>
        _rooms[room] = new Sample(now, counts, capacity);

    /// <summary>The room's latest numbers, or null before the first sample.</summary>
    public Sample? LatestOf(string room) => _rooms.TryGetValue(room, out var sample) ? sample : null;

    /// <summary>A room's numbers at one instant.</summary>
    internal sealed record Sample(DateTimeOffset Time, RoomCounts Counts, int Capacity);
}
