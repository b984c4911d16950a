using System.Collections.Concurrent;

namespace WaitingRoom.Queue;

/// <summary>
/// This instance's latest <see cref="QueueSnapshot"/> of each room, from which the polls of waiters far from the
/// head are answered without the store. A poll that finds the snapshot older than <see cref="RefreshAfter"/>
/// starts one refresh for the room (never more than one at a time, never awaited by the poll), so the store is
/// read at most about four times a second per room and instance, however many wait, and not at all while nobody polls.
/// </summary>
internal sealed class QueueSnapshots(IWaitingRoomStore store, TimeProvider time)
{
    /// <summary>Age at which a poll starts a refresh.</summary>
    public static readonly TimeSpan RefreshAfter = TimeSpan.FromMilliseconds(250);

    /// <summary>Age past which a snapshot answers nobody: the poll goes to the store, as when there is none.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, Entry> _rooms = new(StringComparer.Ordinal);

    /// <summary>
    /// The room's snapshot when it is fresh enough to answer from: at most <see cref="MaxAge"/> old and a tenth of
    /// the queue TTL (a waiter stamped near must be sent to the store well within a TTL). Starts a refresh when due.
    /// </summary>
    public bool TryGet(RoomPolicy room, out QueueSnapshot snapshot)
    {
        var entry = _rooms.GetOrAdd(room.Name, static _ => new Entry());
        var now = time.GetTimestamp();
        var current = Volatile.Read(ref entry.Current);
        var age = current is null ? TimeSpan.MaxValue : time.GetElapsedTime(current.At, now);
        if (age >= RefreshAfter && Interlocked.CompareExchange(ref entry.Refreshing, 1, 0) == 0)
        {
            _ = RefreshAsync(room, entry);
        }

        var limit = MaxAge < room.QueueTtl / 10 ? MaxAge : room.QueueTtl / 10;
        if (current is null || age > limit)
        {
            snapshot = default;
            return false;
        }

        snapshot = current.Snapshot;
        return true;
    }

    private async Task RefreshAsync(RoomPolicy room, Entry entry)
    {
        try
        {
            // Timed from before the read: the snapshot is at least this old when it answers.
            var at = time.GetTimestamp();
            var snapshot = await store.GetQueueSnapshotAsync(room, CancellationToken.None).ConfigureAwait(false);
            Volatile.Write(ref entry.Current, new Taken(snapshot, at));
        }
        catch (Exception)
        {
            // Counted by the store's own measurements; meanwhile polls go to the store (and its failure mode).
        }
        finally
        {
            Volatile.Write(ref entry.Refreshing, 0);
        }
    }

    private sealed record Taken(QueueSnapshot Snapshot, long At);

    private sealed class Entry
    {
        public Taken? Current;
        public int Refreshing;
    }
}
