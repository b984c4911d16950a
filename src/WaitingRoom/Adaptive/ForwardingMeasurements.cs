using System.Collections.Concurrent;

namespace WaitingRoom.Adaptive;

/// <summary>This instance's <see cref="ForwardingStats"/> of every room, by name (case-insensitive, as rooms are).</summary>
internal sealed class ForwardingMeasurements
{
    private readonly ConcurrentDictionary<string, ForwardingStats> _rooms = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The room's stats; one lookup without allocation once the room has forwarded a request.</summary>
    public ForwardingStats For(string room) => _rooms.GetOrAdd(room, static _ => new ForwardingStats());
}
