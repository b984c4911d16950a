using System.Collections.Concurrent;
using WaitingRoom.Queue;

namespace WaitingRoom.Operations;

/// <summary>
/// Every room's latest numbers (the store's) and the last hour for the dashboard's chart, one point
/// per <see cref="PointSpacing"/>, in memory; fed by <see cref="SharedStateSync"/>.
/// </summary>
internal sealed class RoomMonitor
{
    /// <summary>Time between two points of a room's history.</summary>
    public static readonly TimeSpan PointSpacing = TimeSpan.FromSeconds(10);

    /// <summary>Points kept per room: one hour.</summary>
    public const int MaxPoints = 360;

    private readonly ConcurrentDictionary<string, RoomHistory> _rooms = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Records the room's numbers at <paramref name="now"/>; adds a history point when the last is old enough.</summary>
    public void Record(string room, RoomCounts counts, int capacity, DateTimeOffset now)
    {
        var history = _rooms.GetOrAdd(room, static _ => new RoomHistory());
        lock (history)
        {
            history.Latest = new Sample(now, counts, capacity);
            if (history.Points.Count > 0 && now - history.LastPointTime < PointSpacing)
            {
                return;
            }

            var letIn = counts.AdmittedTotal + counts.PromotedTotal;
            var perMinute = history.Points.Count == 0 || now <= history.LastPointTime
                ? 0
                : Math.Max(0, letIn - history.LastLetIn) / (now - history.LastPointTime).TotalMinutes;
            history.Points.Enqueue(new Point(now, counts.Queued, counts.Active, capacity, Math.Round(perMinute, 1)));
            while (history.Points.Count > MaxPoints)
            {
                history.Points.Dequeue();
            }

            history.LastPointTime = now;
            history.LastLetIn = letIn;
        }
    }

    /// <summary>The room's latest numbers, or null before the first sample.</summary>
    public Sample? LatestOf(string room)
    {
        if (!_rooms.TryGetValue(room, out var history))
        {
            return null;
        }

        lock (history)
        {
            return history.Latest;
        }
    }

    /// <summary>The room's points, oldest first.</summary>
    public IReadOnlyList<Point> HistoryOf(string room)
    {
        if (!_rooms.TryGetValue(room, out var history))
        {
            return [];
        }

        lock (history)
        {
            return [.. history.Points];
        }
    }

    /// <summary>A room's numbers at one instant.</summary>
    internal sealed record Sample(DateTimeOffset Time, RoomCounts Counts, int Capacity);

    /// <summary>One point of the chart: waiting, active, the capacity in force and visitors let in per minute since the previous point.</summary>
    internal sealed record Point(DateTimeOffset Time, long Queued, long Active, int Capacity, double AdmittedPerMinute);

    private sealed class RoomHistory
    {
        public readonly Queue<Point> Points = new();
        public Sample? Latest;
        public DateTimeOffset LastPointTime;
        public long LastLetIn;
    }
}
