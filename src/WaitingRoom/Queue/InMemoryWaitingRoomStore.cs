namespace WaitingRoom.Queue;

/// <summary>
/// The embedded store used when WR_REDIS_HOST is unset: the same rules as the Redis scripts of
/// <see cref="RedisWaitingRoomStore"/>, step for step, for ONE proxy instance. Each method runs
/// under the room's lock, which plays the part of Redis running a script alone. The shared
/// conformance suite holds the two implementations together.
/// </summary>
internal sealed class InMemoryWaitingRoomStore : IWaitingRoomStore
{
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private readonly Lock _roomsLock = new();
    private string? _secret;

    public InMemoryWaitingRoomStore(TimeProvider time)
    {
        _time = time;
    }

    public string Kind => "memory";

    public Task<AdmissionResult> AdmitAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        var now = Now();
        lock (state.Lock)
        {
            if (state.Active.TryGetScore(visitorId, out var last))
            {
                if (now - last <= Milliseconds(room.ActiveTtl))
                {
                    state.Active.Set(visitorId, now);
                    return Done(VisitorState.Active, 0, 0);
                }

                state.Active.Remove(visitorId);
            }

            if (state.Released.TryGetScore(visitorId, out var released))
            {
                state.Released.Remove(visitorId);
                if (now - released <= Milliseconds(room.AdmissionWindow))
                {
                    state.Active.Set(visitorId, now);
                    return Done(VisitorState.Active, 0, 0);
                }
            }

            var rank = state.Queue.Rank(visitorId);
            if (rank >= 0 && (!state.Seen.TryGetScore(visitorId, out var seen) || now - seen > Milliseconds(room.QueueTtl)))
            {
                state.Queue.Remove(visitorId);
                state.Seen.Remove(visitorId);
                rank = -1;
            }

            var used = state.Active.Count + state.Released.Count;
            if (rank >= 0)
            {
                if (rank == 0 && used < room.MaxActive)
                {
                    state.Queue.Remove(visitorId);
                    state.Seen.Remove(visitorId);
                    state.Active.Set(visitorId, now);
                    return Done(VisitorState.Active, 0, state.Queue.Count);
                }

                state.Seen.Set(visitorId, now);
                return Done(VisitorState.Queued, rank + 1, state.Queue.Count);
            }

            var length = state.Queue.Count;
            if (length == 0 && used < room.MaxActive)
            {
                state.Active.Set(visitorId, now);
                return Done(VisitorState.Active, 0, 0);
            }

            state.Queue.Set(visitorId, ++state.Ticket);
            state.Seen.Set(visitorId, now);
            return Done(VisitorState.Queued, length + 1, length + 1);
        }
    }

    public Task<AdmissionResult> GetStatusAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        var now = Now();
        lock (state.Lock)
        {
            var length = state.Queue.Count;
            if (state.Active.TryGetScore(visitorId, out var last) && now - last <= Milliseconds(room.ActiveTtl))
            {
                return Done(VisitorState.Active, 0, length);
            }

            if (state.Released.TryGetScore(visitorId, out var released) && now - released <= Milliseconds(room.AdmissionWindow))
            {
                return Done(VisitorState.Released, 0, length);
            }

            var rank = state.Queue.Rank(visitorId);
            if (rank >= 0 && state.Seen.TryGetScore(visitorId, out var seen) && now - seen <= Milliseconds(room.QueueTtl))
            {
                state.Seen.Set(visitorId, now);
                return Done(VisitorState.Queued, rank + 1, length);
            }

            return Done(VisitorState.Unknown, 0, length);
        }
    }

    public Task<PromotionResult> PromoteAsync(RoomPolicy room, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var state = RoomOf(room);
        var now = Now();
        lock (state.Lock)
        {
            var expiredActive = state.Active.RemoveBelow(now - Milliseconds(room.ActiveTtl));
            var expiredReleased = state.Released.RemoveBelow(now - Milliseconds(room.AdmissionWindow));
            var stale = state.Seen.Below(now - Milliseconds(room.QueueTtl), limit);
            foreach (var visitor in stale)
            {
                state.Queue.Remove(visitor);
                state.Seen.Remove(visitor);
            }

            var free = room.MaxActive - state.Active.Count - state.Released.Count;
            long promoted = 0;
            if (free > 0)
            {
                foreach (var visitor in state.Queue.PopMin(Math.Min(free, limit)))
                {
                    state.Released.Set(visitor, now);
                    state.Seen.Remove(visitor);
                    promoted++;
                }
            }

            state.PromotedTotal += promoted;
            var hasMore = stale.Count >= limit || (promoted >= limit && free > promoted);
            return Task.FromResult(new PromotionResult(expiredActive, expiredReleased, stale.Count, promoted, state.PromotedTotal, hasMore));
        }
    }

    public Task<RoomCounts> GetCountsAsync(RoomPolicy room, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        lock (state.Lock)
        {
            return Task.FromResult(new RoomCounts(state.Active.Count, state.Released.Count, state.Queue.Count, state.PromotedTotal));
        }
    }

    public Task<string> GetOrCreateSecretAsync(string candidate, CancellationToken cancellationToken) =>
        Task.FromResult(Interlocked.CompareExchange(ref _secret, candidate, null) ?? candidate);

    public Task PingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private Room RoomOf(RoomPolicy room)
    {
        lock (_roomsLock)
        {
            if (!_rooms.TryGetValue(room.Name, out var state))
            {
                state = new Room();
                _rooms[room.Name] = state;
            }

            return state;
        }
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static long Milliseconds(TimeSpan span) => (long)span.TotalMilliseconds;

    private static Task<AdmissionResult> Done(VisitorState state, long position, long length) =>
        Task.FromResult(new AdmissionResult(state, position, length));

    private sealed class Room
    {
        public Lock Lock { get; } = new();

        public ScoredSet Active { get; } = new();

        public ScoredSet Released { get; } = new();

        public ScoredSet Queue { get; } = new();

        public ScoredSet Seen { get; } = new();

        public long Ticket { get; set; }

        public long PromotedTotal { get; set; }
    }
}
