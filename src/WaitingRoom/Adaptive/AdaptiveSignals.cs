using System.Collections.Concurrent;

namespace WaitingRoom.Adaptive;

/// <summary>
/// The last signal each room's controller judged on this instance (the p95 and error share of its
/// last window, the baseline), for the admin API, the dashboard and the gauges.
/// </summary>
internal sealed class AdaptiveSignals
{
    private readonly ConcurrentDictionary<string, AdaptiveSignal> _rooms = new(StringComparer.OrdinalIgnoreCase);

    public void Record(string room, AdaptiveSignal signal) => _rooms[room] = signal;

    /// <summary>The room's last signal, or null before its first judged window.</summary>
    public AdaptiveSignal? Of(string room) => _rooms.GetValueOrDefault(room);
}

/// <summary>One judged window: its p95 and error share, the controller's baseline and when.</summary>
internal sealed record AdaptiveSignal(TimeSpan P95, double ErrorShare, long Requests, TimeSpan? Baseline, DateTimeOffset At);
