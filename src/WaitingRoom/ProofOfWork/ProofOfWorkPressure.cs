using System.Collections.Concurrent;
using WaitingRoom.Operations;
using WaitingRoom.Queue;

namespace WaitingRoom.ProofOfWork;

/// <summary>
/// The difficulty of <c>WR_POW=auto</c>, from what the instance already knows, without a store call:
/// the room's latest numbers (<see cref="RoomMonitor"/>, sampled every WR_RELEASE_INTERVAL) and, in
/// between, the queue length of the store's own answers to this instance (a newcomer queued or turned
/// away means pressure at once, not one interval later). A newer sample replaces what the answers said,
/// so the difficulty falls back to zero once the room admits freely again.
/// </summary>
/// <remarks>
/// Difficulty: 0 while nobody waits and there is free capacity; else
/// <c>max − 4 + ⌊log2(1 + queued / capacity)⌋</c>, between 1 and max: a sixteenth of the highest work
/// when the room is just full, one bit (twice the work) more at each doubling of the queue relative to
/// the capacity, the highest from a queue of 15 × capacity on.
/// </remarks>
internal sealed class ProofOfWorkPressure(RoomMonitor monitor)
{
    /// <summary>Bits below the highest difficulty at the first sign of pressure.</summary>
    public const int PressureSteps = 4;

    private readonly ConcurrentDictionary<string, RoomState> _rooms = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The auto difficulty for <paramref name="queued"/> waiters, a <paramref name="full"/> room and its capacity, up to <paramref name="max"/>.</summary>
    public static int DifficultyOf(long queued, bool full, int capacity, int max)
    {
        if (queued <= 0 && !full)
        {
            return 0;
        }

        var ratio = Math.Max(0, queued) / (double)Math.Max(1, capacity);
        return Math.Clamp(max - PressureSteps + (int)Math.Floor(Math.Log2(1 + ratio)), 1, max);
    }

    /// <summary>The difficulty in force in <paramref name="room"/> now (capacity <paramref name="maxActive"/> until a sample says otherwise).</summary>
    public int DifficultyFor(string room, int maxActive, int max)
    {
        var reading = ReadingOf(room, maxActive);
        return reading is null ? 0 : DifficultyOf(reading.Queued, reading.Full, reading.Capacity, max);
    }

    /// <summary>Takes what the store answered this instance for one request as the newest reading when it shows pressure.</summary>
    public void Observe(string room, AdmissionResult result, int maxActive)
    {
        var queued = result.QueueLength;
        var shows = result.State switch
        {
            VisitorState.Queued or VisitorState.Rejected or VisitorState.Limited or VisitorState.Full => true,
            VisitorState.Unknown => queued > 0,
            _ => false,
        };
        if (!shows)
        {
            return;
        }

        var state = _rooms.GetOrAdd(room, static _ => new RoomState());
        var current = Volatile.Read(ref state.Current);
        if (current is null || current.Queued != queued || !current.Full)
        {
            Volatile.Write(ref state.Current, new Reading(queued, true, current?.Capacity ?? maxActive));
        }
    }

    private Reading? ReadingOf(string room, int maxActive)
    {
        var state = _rooms.GetOrAdd(room, static _ => new RoomState());
        var sample = monitor.LatestOf(room);
        if (sample is not null && !ReferenceEquals(sample, Volatile.Read(ref state.Sample)))
        {
            // A sample taken after every answer seen so far: it wins, also when it says the pressure is gone.
            Volatile.Write(ref state.Sample, sample);
            var counts = sample.Counts;
            var capacity = sample.Capacity > 0 ? sample.Capacity : maxActive;
            Volatile.Write(ref state.Current, new Reading(counts.Queued, counts.Active + counts.Released >= capacity, capacity));
        }

        return Volatile.Read(ref state.Current);
    }

    /// <summary>What is known of a room: waiters, whether it is full, its capacity.</summary>
    private sealed record Reading(long Queued, bool Full, int Capacity);

    private sealed class RoomState
    {
        public RoomMonitor.Sample? Sample;
        public Reading? Current;
    }
}
