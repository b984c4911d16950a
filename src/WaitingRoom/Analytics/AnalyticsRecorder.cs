using System.Collections.Concurrent;
using WaitingRoom.Queue;

namespace WaitingRoom.Analytics;

/// <summary>
/// This instance's analytics counts per room and minute, kept in memory until
/// <see cref="AnalyticsFlusher"/> adds them to the store. On the request path a decision that is
/// neither an arrival nor an admission (a cached active visitor, a waiter's poll) costs two field
/// reads; one that is costs a clock read and a few interlocked increments: no allocation, no store call.
/// </summary>
internal sealed class AnalyticsRecorder(TimeProvider time)
{
    /// <summary>Minute slots per room: a slot is reused four minutes later, long after a flush took its counts.</summary>
    private const int Slots = 4;

    private readonly ConcurrentDictionary<string, RoomCounters> _rooms = new(StringComparer.Ordinal);

    /// <summary>One admission decision (see <see cref="AnalyticsMinute"/> for what counts).</summary>
    public void Decided(string room, in AdmissionResult result)
    {
        if (!result.Admitted && !result.Joined)
        {
            return;
        }

        var slot = SlotOf(room);
        if (result.Joined || (result.Admitted && result.WaitedMilliseconds is null))
        {
            Interlocked.Increment(ref slot.Arrivals);
        }

        if (result.Admitted)
        {
            Interlocked.Increment(ref slot.Admitted);
            if (result.WaitedMilliseconds is >= 0 and var waited)
            {
                Interlocked.Increment(ref slot.Waits[DurationBuckets.IndexOf(waited)]);
            }
        }
    }

    /// <summary>One promotion round's releases, drops and ended sessions, as the store reported them.</summary>
    public void Promoted(string room, PromotionResult result)
    {
        if (result.Promoted == 0 && result.Abandoned == 0 && result.Waits.Count == 0 && result.Sessions.Count == 0)
        {
            return;
        }

        var slot = SlotOf(room);
        Interlocked.Add(ref slot.Admitted, result.Promoted);
        Interlocked.Add(ref slot.Abandoned, result.Abandoned);
        foreach (var waited in result.Waits)
        {
            Interlocked.Increment(ref slot.Waits[DurationBuckets.IndexOf(waited)]);
        }

        foreach (var session in result.Sessions)
        {
            Interlocked.Increment(ref slot.Sessions[DurationBuckets.IndexOf(session)]);
        }
    }

    /// <summary>The origin ended a session (WR-Command: release); <paramref name="admittedAt"/> (Unix ms, 0 = unknown) gives its time on site.</summary>
    public void ReleasedByOrigin(string room, long admittedAt)
    {
        var slot = SlotOf(room);
        Interlocked.Increment(ref slot.Released);
        if (admittedAt > 0)
        {
            Interlocked.Increment(ref slot.Sessions[DurationBuckets.IndexOf(time.GetUtcNow().ToUnixTimeMilliseconds() - admittedAt)]);
        }
    }

    /// <summary>The room's numbers sampled now: the minute keeps the highest.</summary>
    public void Sample(string room, RoomCounts counts, int capacity)
    {
        var slot = SlotOf(room);
        Max(ref slot.Queued, counts.Queued);
        Max(ref slot.Active, counts.Active);
        Max(ref slot.Capacity, capacity);
    }

    /// <summary>Takes every count recorded so far for <paramref name="room"/> (each count is taken exactly once), by minute.</summary>
    public List<AnalyticsMinute> Drain(string room)
    {
        var taken = new List<AnalyticsMinute>();
        if (!_rooms.TryGetValue(room, out var counters))
        {
            return taken;
        }

        lock (counters)
        {
            taken.AddRange(counters.Spilled);
            counters.Spilled.Clear();
            foreach (var slot in counters.Slots)
            {
                if (slot.Minute >= 0 && Take(slot) is { IsEmpty: false } minute)
                {
                    taken.Add(minute);
                }
            }
        }

        return taken;
    }

    /// <summary>The rooms with counts recorded.</summary>
    public IEnumerable<string> Rooms => _rooms.Keys;

    private Slot SlotOf(string room)
    {
        var counters = _rooms.GetOrAdd(room, static _ => new RoomCounters());
        var minute = time.GetUtcNow().ToUnixTimeMilliseconds() / 60_000;
        var slot = counters.Slots[minute % Slots];
        if (Volatile.Read(ref slot.Minute) == minute)
        {
            return slot;
        }

        lock (counters)
        {
            if (slot.Minute != minute)
            {
                // Once per room and minute: the slot's old minute (normally flushed long ago) is kept for the flush.
                if (slot.Minute >= 0 && Take(slot) is { IsEmpty: false } old)
                {
                    counters.Spilled.Add(old);
                }

                Volatile.Write(ref slot.Minute, minute);
            }
        }

        return slot;
    }

    /// <summary>Moves the slot's counts into a minute, leaving zeros (Interlocked.Exchange: a concurrent increment lands in one or the other).</summary>
    private static AnalyticsMinute Take(Slot slot)
    {
        var minute = new AnalyticsMinute(slot.Minute)
        {
            Arrivals = Interlocked.Exchange(ref slot.Arrivals, 0),
            Admitted = Interlocked.Exchange(ref slot.Admitted, 0),
            Abandoned = Interlocked.Exchange(ref slot.Abandoned, 0),
            ReleasedByOrigin = Interlocked.Exchange(ref slot.Released, 0),
            Queued = Interlocked.Exchange(ref slot.Queued, 0),
            Active = Interlocked.Exchange(ref slot.Active, 0),
            Capacity = Interlocked.Exchange(ref slot.Capacity, 0),
        };
        for (var i = 0; i < DurationBuckets.Count; i++)
        {
            if (Volatile.Read(ref slot.Waits[i]) != 0)
            {
                minute.TimeInQueue[i] = Interlocked.Exchange(ref slot.Waits[i], 0);
            }

            if (Volatile.Read(ref slot.Sessions[i]) != 0)
            {
                minute.TimeOnSite[i] = Interlocked.Exchange(ref slot.Sessions[i], 0);
            }
        }

        return minute;
    }

    private static void Max(ref long field, long value)
    {
        var seen = Volatile.Read(ref field);
        while (value > seen)
        {
            var before = Interlocked.CompareExchange(ref field, value, seen);
            if (before == seen)
            {
                return;
            }

            seen = before;
        }
    }

    private sealed class RoomCounters
    {
        public readonly Slot[] Slots = [new(), new(), new(), new()];

        /// <summary>Minutes taken out of a reused slot, waiting for the next flush.</summary>
        public readonly List<AnalyticsMinute> Spilled = [];
    }

    private sealed class Slot
    {
        public long Minute = -1;
        public long Arrivals;
        public long Admitted;
        public long Abandoned;
        public long Released;
        public long Queued;
        public long Active;
        public long Capacity;
        public readonly long[] Waits = new long[DurationBuckets.Count];
        public readonly long[] Sessions = new long[DurationBuckets.Count];
    }
}
