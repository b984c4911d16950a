namespace WaitingRoom.Queue;

/// <summary>
/// The embedded store used when WR_REDIS_HOST is unset: the same rules as the Redis scripts of
/// <see cref="RedisWaitingRoomStore"/>, step for step, for ONE proxy instance. Each method runs
/// under the room's lock, which plays the part of Redis running a script alone. The shared
/// conformance suite holds the two implementations together.
/// </summary>
/// <remarks>
/// The queue is scored by order alone (<see cref="QueueScores"/>) and each waiter's last poll is
/// kept exactly, so a waiter that stops polling is dropped as soon as WR_QUEUE_TTL has passed:
/// the early end of the window Redis keeps (between the TTL and the TTL plus one generation, where
/// memory per waiter matters more than the exact moment).
/// </remarks>
internal sealed partial class InMemoryWaitingRoomStore : IWaitingRoomStore
{
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private readonly Lock _roomsLock = new();
    private readonly Dictionary<string, string> _documents = new(StringComparer.Ordinal);
    private string? _secret;

    public InMemoryWaitingRoomStore(TimeProvider time)
    {
        _time = time;
    }

    public string Kind => "memory";

    public Task<AdmissionResult> AdmitAsync(RoomPolicy room, string visitorId, string? clientKey, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        var now = Now();
        lock (state.Lock)
        {
            return Task.FromResult(WithSessionStart(state, visitorId, Admit(state, room, visitorId, clientKey, now, knownOnly: false)));
        }
    }

    public Task<AdmissionResult> AdmitKnownAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        var now = Now();
        lock (state.Lock)
        {
            return Task.FromResult(WithSessionStart(state, visitorId, Admit(state, room, visitorId, null, now, knownOnly: true)));
        }
    }

    /// <summary>An active visitor's answer carries its session's start, which tells one admission from the next (the signed admission assertion's jti).</summary>
    private static AdmissionResult WithSessionStart(Room state, string visitorId, AdmissionResult result) =>
        result.State == VisitorState.Active && state.Since.TryGetScore(visitorId, out var since) ? result with { AdmittedAt = since } : result;

    /// <param name="knownOnly">A newcomer is answered <see cref="VisitorState.Unknown"/> and takes nothing (the admit script's ARGV[17]).</param>
    private static AdmissionResult Admit(Room state, RoomPolicy room, string visitorId, string? clientKey, long now, bool knownOnly)
    {
        var mode = room.Mode;
        if (mode == QueueMode.Passthrough)
        {
            // The room is off: everyone is counted as active, nobody waits.
            var fresh = !state.Active.TryGetScore(visitorId, out _) & !state.Released.Remove(visitorId);
            state.Queue.Remove(visitorId);
            state.Seen.Remove(visitorId);
            state.Joined.Remove(visitorId);
            Activate(state, room, visitorId, now, counted: fresh);
            return new(VisitorState.Active, 0, 0) { Admitted = fresh };
        }

        var pushedBack = false;
        if (state.Active.TryGetScore(visitorId, out var last))
        {
            var over = !StillActive(state, room, visitorId, last, now);
            if (!over && mode != QueueMode.QueueAll)
            {
                state.Active.Set(visitorId, now);
                return new(VisitorState.Active, 0, 0);
            }

            state.Active.Remove(visitorId);
            state.Since.Remove(visitorId);
            pushedBack = !over;
        }

        if (state.Released.TryGetScore(visitorId, out var released))
        {
            state.Released.Remove(visitorId);
            if (now - released <= Milliseconds(room.AdmissionWindow))
            {
                if (mode != QueueMode.QueueAll)
                {
                    Activate(state, room, visitorId, now, counted: false);
                    return new(VisitorState.Active, 0, 0);
                }

                pushedBack = true;
            }
        }

        var rank = state.Queue.Rank(visitorId);
        if (rank >= 0 && IsStale(state, room, visitorId, now))
        {
            state.Queue.Remove(visitorId);
            state.Seen.Remove(visitorId);
            state.Joined.Remove(visitorId);
            rank = -1;
        }

        var used = state.Active.Count + state.Released.Count;
        var capacity = CapacityOf(state, room);
        if (rank >= 0)
        {
            if (rank == 0 && used < capacity && mode is not QueueMode.QueueAll and not QueueMode.Random && WithinRate(state, room, now))
            {
                state.Queue.Remove(visitorId);
                state.Seen.Remove(visitorId);
                Activate(state, room, visitorId, now, counted: true);
                return new(VisitorState.Active, 0, state.Queue.Count) { Admitted = true, WaitedMilliseconds = TakeWait(state, visitorId, now) };
            }

            state.Seen.Set(visitorId, now);
            return new(VisitorState.Queued, rank + 1 - LanesAhead(state, visitorId), state.Queue.Count) { Order = OrderOf(state, visitorId) };
        }

        if (knownOnly && !pushedBack)
        {
            return new(VisitorState.Unknown, 0, state.Queue.Count);
        }

        var length = state.Queue.Count;
        if (length == 0 && used < capacity && mode != QueueMode.QueueAll && WithinRate(state, room, now))
        {
            if (!pushedBack && ClientOver(state, room, clientKey, now) is { } wait)
            {
                return new(VisitorState.Limited, 0, length, wait);
            }

            Activate(state, room, visitorId, now, counted: true);
            return new(VisitorState.Active, 0, 0) { Admitted = true };
        }

        if (mode == QueueMode.Reject && !pushedBack)
        {
            return new(VisitorState.Rejected, 0, length);
        }

        // WR_MAX_QUEUE: a newcomer past the cap takes no place (and no per-client count), as in the admission script.
        if (room.MaxQueue > 0 && !pushedBack && length >= room.MaxQueue)
        {
            return new(VisitorState.Full, 0, length);
        }

        if (!pushedBack && ClientOver(state, room, clientKey, now) is { } retry)
        {
            return new(VisitorState.Limited, 0, length, retry);
        }

        var score = room.ShuffleArrivals ? QueueScores.RandomDraw()
            : pushedBack ? ++state.Ticket + QueueScores.PushedBackBase
            : ++state.Ticket;
        state.Queue.Set(visitorId, score);
        state.Seen.Set(visitorId, now);
        rank = state.Queue.Rank(visitorId);
        if (score >= 1 && rank < room.NearZone && state.Queue.CountBelow(state.Near + 1) == rank)
        {
            // Within the near zone right behind the mark (a short line): judged by the store from the start, as the admit script.
            state.Near = score;
        }

        // Analytics: the join time, as the Redis store's ticket clock knows it (not for a shuffled draw, which takes no ticket).
        if (!room.ShuffleArrivals)
        {
            state.Joined[visitorId] = now;
        }

        return new(VisitorState.Queued, rank + 1 - LanesAhead(state, visitorId), length + 1) { Joined = !pushedBack, Order = score };
    }

    /// <summary>An active visitor last seen at <paramref name="last"/> is still active: within the active TTL and the session cap.</summary>
    private static bool StillActive(Room state, RoomPolicy room, string visitorId, long last, long now) =>
        now - last <= Milliseconds(room.ActiveTtl)
        && !(room.SessionMax > TimeSpan.Zero && state.Since.TryGetScore(visitorId, out var since) && now - since > Milliseconds(room.SessionMax));

    private static void Activate(Room state, RoomPolicy room, string visitorId, long now, bool counted)
    {
        state.Active.Set(visitorId, now);
        if (!state.Since.TryGetScore(visitorId, out _))
        {
            state.Since.Set(visitorId, now);
        }

        if (counted)
        {
            state.AdmittedTotal++;
            CountAdmission(state, room, visitorId, now);
        }
    }

    /// <summary>Records one admission in the rolling minute (only kept when the room has a rate cap).</summary>
    private static void CountAdmission(Room state, RoomPolicy room, string visitorId, long now)
    {
        if (room.NewUsersPerMinute > 0)
        {
            state.Admits.Set($"{visitorId}:{now}", now);
        }
    }

    /// <summary>True when the rolling minute still has room for one more admission.</summary>
    private static bool WithinRate(Room state, RoomPolicy room, long now) => AdmissionsLeft(state, room, now) > 0;

    /// <summary>Admissions the rolling minute still allows; <see cref="long.MaxValue"/> without a rate cap.</summary>
    private static long AdmissionsLeft(Room state, RoomPolicy room, long now)
    {
        if (room.NewUsersPerMinute <= 0)
        {
            return long.MaxValue;
        }

        state.Admits.RemoveBelow(now - MinuteMilliseconds);
        return room.NewUsersPerMinute - state.Admits.Count;
    }

    /// <summary>Counts a new entry from the client; returns the milliseconds until it may try again when it is over its cap.</summary>
    private static long? ClientOver(Room state, RoomPolicy room, string? clientKey, long now)
    {
        if (clientKey is null || room.MaxNewPerClientPerMinute <= 0)
        {
            return null;
        }

        var (window, left) = ClientWindow.Of(now);
        if (state.ClientWindow != window)
        {
            // A new clock minute: every client starts again, as the Redis counters of the last minute expire.
            state.Clients.Clear();
            state.ClientWindow = window;
        }

        var count = state.Clients.GetValueOrDefault(clientKey) + 1;
        state.Clients[clientKey] = count;
        return count > room.MaxNewPerClientPerMinute ? left : null;
    }

    public Task<AdmissionResult> GetStatusAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        var now = Now();
        lock (state.Lock)
        {
            var length = state.Queue.Count;
            if (state.Active.TryGetScore(visitorId, out var last) && StillActive(state, room, visitorId, last, now))
            {
                return Done(VisitorState.Active, 0, length);
            }

            if (state.Released.TryGetScore(visitorId, out var released) && now - released <= Milliseconds(room.AdmissionWindow))
            {
                return Done(VisitorState.Released, 0, length);
            }

            var rank = state.Queue.Rank(visitorId);
            if (rank >= 0 && !IsStale(state, room, visitorId, now))
            {
                state.Seen.Set(visitorId, now);
                return Task.FromResult(new AdmissionResult(VisitorState.Queued, rank + 1 - LanesAhead(state, visitorId), length) { Order = OrderOf(state, visitorId) });
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
            var idle = state.Active.Below(now - Milliseconds(room.ActiveTtl), limit);
            var sessions = new List<long>();
            foreach (var visitor in idle)
            {
                AddSession(state, visitor, sessions);
                state.Active.Remove(visitor);
                state.Since.Remove(visitor);
            }

            long expiredActive = idle.Count;
            var ended = new List<string>();
            if (room.SessionMax > TimeSpan.Zero)
            {
                ended = state.Since.Below(now - Milliseconds(room.SessionMax), limit);
                foreach (var visitor in ended)
                {
                    AddSession(state, visitor, sessions);
                    expiredActive += state.Active.Remove(visitor) ? 1 : 0;
                    state.Since.Remove(visitor);
                }
            }

            var expiredReleased = state.Released.RemoveBelow(now - Milliseconds(room.AdmissionWindow));
            // Waiters silent for the TTL: dropped when near the head; one beyond the near mark polls the instances,
            // which answer it without the store, so it is only forgotten here and judged once it is stamped near.
            var stale = state.Seen.Below(now - Milliseconds(room.QueueTtl), limit);
            long abandoned = 0;
            foreach (var visitor in stale)
            {
                state.Seen.Remove(visitor);
                if (OrderOf(state, visitor) <= state.Near)
                {
                    abandoned += state.Queue.Remove(visitor) ? 1 : 0;
                    state.Joined.Remove(visitor);
                }
            }

            long free = 0;
            if (room.Mode == QueueMode.Passthrough)
            {
                free = limit + 1;
            }
            else if (room.Mode != QueueMode.QueueAll)
            {
                free = CapacityOf(state, room) - state.Active.Count - state.Released.Count;
                if (free > 0)
                {
                    free = Math.Min(free, AdmissionsLeft(state, room, now));
                }
            }

            long promoted = 0;
            var waits = new List<long>();
            if (free > 0)
            {
                foreach (var visitor in Choose(state, room, (int)Math.Min(free, limit)))
                {
                    if (TakeWait(state, visitor, now) is { } waited)
                    {
                        waits.Add(waited);
                    }

                    state.Released.Set(visitor, now);
                    state.Seen.Remove(visitor);
                    if (room.Mode != QueueMode.Passthrough)
                    {
                        CountAdmission(state, room, visitor, now);
                    }

                    promoted++;
                }
            }

            state.PromotedTotal += promoted;
            var moreNear = StampNear(state, room.Mode == QueueMode.Random ? state.Queue.Count : room.NearZone, now, limit);
            var hasMore = idle.Count >= limit || ended.Count >= limit || stale.Count >= limit || moreNear || (promoted >= limit && free > promoted);
            return Task.FromResult(new PromotionResult(expiredActive, expiredReleased, abandoned, promoted, state.PromotedTotal, hasMore) { Waits = waits, Sessions = sessions });
        }
    }

    /// <summary>
    /// Liveness near the head, as the promotion script's stamp_near: waiters entering the first <paramref name="zone"/>
    /// places beyond the near mark count as seen now, and the mark moves past them. True when the limit stopped it.
    /// </summary>
    private static bool StampNear(Room state, long zone, long now, int limit)
    {
        var stamped = 0;
        for (var rank = state.Queue.CountBelow(state.Near + 1); rank < Math.Min(zone, state.Queue.Count) && stamped < limit; rank++)
        {
            var visitor = state.Queue.At(rank)!;
            state.Seen.Set(visitor, now);
            state.Near = OrderOf(state, visitor);
            stamped++;
        }

        return stamped == limit;
    }

    /// <summary>
    /// A waiter that has not polled for the TTL, and so has lost its place: only at or below the near mark, since one
    /// further back polls the instances, not the store (the Redis generations' poll_state).
    /// </summary>
    private static bool IsStale(Room state, RoomPolicy room, string visitorId, long now) =>
        OrderOf(state, visitorId) <= state.Near && (!state.Seen.TryGetScore(visitorId, out var seen) || now - seen > Milliseconds(room.QueueTtl));

    /// <summary>A waiter's order in the line (its queue score), long.MinValue when it does not wait.</summary>
    private static long OrderOf(Room state, string visitorId) => state.Queue.TryGetScore(visitorId, out var order) ? order : long.MinValue;

    public Task<QueueSnapshot> GetQueueSnapshotAsync(RoomPolicy room, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        lock (state.Lock)
        {
            var tickets = state.Queue.CountBelow(1);
            var head = tickets < state.Queue.Count && state.Queue.TryGetScore(state.Queue.At(tickets)!, out var first) ? first : state.Ticket + 1;
            return Task.FromResult(new QueueSnapshot(state.Queue.Count, head, tickets - state.Queue.CountBelow(QueueScores.LanesEnd), state.Near));
        }
    }

    /// <summary>Analytics: the waiter's time in queue, as it leaves the line at <paramref name="now"/> (null when its join time is unknown).</summary>
    private static long? TakeWait(Room state, string visitorId, long now) =>
        state.Joined.Remove(visitorId, out var joined) ? now - joined : null;

    /// <summary>Analytics: an active visitor's time on site (last seen less admitted at), as its session ends.</summary>
    private static void AddSession(Room state, string visitorId, List<long> sessions)
    {
        if (state.Active.TryGetScore(visitorId, out var last) && state.Since.TryGetScore(visitorId, out var since))
        {
            sessions.Add(Math.Max(0, last - since));
        }
    }

    /// <summary>The head of the line, or in random mode a fresh uniform draw for every place.</summary>
    private static List<string> Choose(Room state, RoomPolicy room, int places)
    {
        if (room.Mode != QueueMode.Random)
        {
            return state.Queue.PopMin(places);
        }

        // Access codes: code holders are never drawn: their lanes go first, in order.
        var chosen = state.Queue.Below(QueueScores.LanesEnd, places);
        foreach (var holder in chosen)
        {
            state.Queue.Remove(holder);
        }

        while (chosen.Count < places && state.Queue.Count > 0)
        {
            var pick = state.Queue.At(System.Security.Cryptography.RandomNumberGenerator.GetInt32(state.Queue.Count))!;
            state.Queue.Remove(pick);
            chosen.Add(pick);
        }

        return chosen;
    }

    public Task<bool> ReleaseAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        lock (state.Lock)
        {
            state.Since.Remove(visitorId);
            return Task.FromResult(state.Active.Remove(visitorId));
        }
    }

    public Task<IReadOnlyList<string>> TouchAsync(RoomPolicy room, IReadOnlyList<string> visitorIds, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        var now = Now();
        List<string>? gone = null;
        lock (state.Lock)
        {
            foreach (var visitorId in visitorIds)
            {
                if (state.Active.TryGetScore(visitorId, out var last) && StillActive(state, room, visitorId, last, now))
                {
                    state.Active.Set(visitorId, now);
                }
                else
                {
                    (gone ??= []).Add(visitorId);
                }
            }
        }

        return Task.FromResult<IReadOnlyList<string>>(gone ?? []);
    }

    public Task<CapacityState> GetCapacityAsync(RoomPolicy room, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        lock (state.Lock)
        {
            return Task.FromResult(state.Capacity is { } stored ? stored with { Capacity = CapacityState.Bounded(room, stored.Capacity) } : CapacityState.Initial(room));
        }
    }

    public Task<CapacityState?> TrySetCapacityAsync(RoomPolicy room, CapacityChange change, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        var now = _time.GetUtcNow();
        lock (state.Lock)
        {
            var stored = state.Capacity;
            var version = stored?.Version ?? 0;
            if ((change.ExpectedVersion is { } expected && expected != version) ||
                (stored?.ChangedAt is { } at && now - at < change.MinGap))
            {
                return Task.FromResult<CapacityState?>(null);
            }

            var from = stored is null ? CapacityState.Initial(room).Effective : (stored with { Capacity = CapacityState.Bounded(room, stored.Capacity) }).Effective;
            state.Capacity = new CapacityState(CapacityState.Bounded(room, change.Capacity), change.Hold, change.PinnedBy, change.Reason, version + 1, now);

            // As the script's capped list: the newest last here, the oldest dropped past the bound.
            var changes = state.CapacityChanges ??= new Queue<CapacityChangeRecord>(CapacityChangeRecord.Kept + 1);
            changes.Enqueue(new CapacityChangeRecord(now, from, state.Capacity.Effective, change.Reason, change.By, change.P95, change.ErrorShare));
            if (changes.Count > CapacityChangeRecord.Kept)
            {
                changes.Dequeue();
            }

            return Task.FromResult<CapacityState?>(state.Capacity);
        }
    }

    public Task<IReadOnlyList<CapacityChangeRecord>> GetCapacityChangesAsync(RoomPolicy room, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        lock (state.Lock)
        {
            return Task.FromResult<IReadOnlyList<CapacityChangeRecord>>(state.CapacityChanges is { } changes ? [.. changes.Reverse()] : []);
        }
    }

    public Task<IReadOnlyList<string>> ShareWindowAsync(RoomPolicy room, string instance, string window, TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        var now = Now();
        lock (state.Lock)
        {
            state.Windows[instance] = (now, window);
            foreach (var old in state.Windows.Where(w => now - w.Value.At > Milliseconds(maxAge)).Select(w => w.Key).ToList())
            {
                state.Windows.Remove(old);
            }

            return Task.FromResult<IReadOnlyList<string>>([.. state.Windows.Where(w => w.Key != instance).Select(w => w.Value.Window)]);
        }
    }

    public Task<StateTransition> RecordTransitionAsync(RoomPolicy room, string subject, string state, CancellationToken cancellationToken)
    {
        var entry = RoomOf(room);
        var now = Now();
        lock (entry.Lock)
        {
            // As the transition script: an older observation changes nothing; the same state only moves the time on.
            var known = entry.Transitions.TryGetValue(subject, out var recorded);
            if (known && (now < recorded.At || recorded.State == state))
            {
                entry.Transitions[subject] = (Math.Max(now, recorded.At), recorded.State);
                return Task.FromResult(new StateTransition(false, recorded.State));
            }

            entry.Transitions[subject] = (now, state);
            return Task.FromResult(new StateTransition(true, known ? recorded.State : null));
        }
    }

    /// <summary>What the room admits against: its capacity, or for an adaptive room the stored one (see the Redis store's CapacityFunctions).</summary>
    private static long CapacityOf(Room state, RoomPolicy room) =>
        !room.Adaptive ? room.MaxActive
        : state.Capacity is not { } stored ? Math.Min(room.MaxActive, room.MinActive)
        : stored.Hold ? 0
        : Math.Min(room.MaxActive, Math.Max(room.MinActive, stored.Capacity));

    public Task<bool> AddAnalyticsAsync(RoomPolicy room, Analytics.AnalyticsBatch batch, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        var now = Now();
        lock (state.Lock)
        {
            if (state.Sequences.TryGetValue(batch.Instance, out var last) && batch.Sequence <= last)
            {
                return Task.FromResult(false);
            }

            state.Sequences[batch.Instance] = batch.Sequence;
            ForgetOldMinutes(state, now);
            foreach (var minute in batch.Minutes)
            {
                if (!IsKept(minute.Minute, now))
                {
                    continue;
                }

                if (!state.Minutes.TryGetValue(minute.Minute, out var stored))
                {
                    state.Minutes[minute.Minute] = stored = new Analytics.AnalyticsMinute(minute.Minute);
                }

                stored.Add(minute);
            }

            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyList<Analytics.AnalyticsMinute>> GetAnalyticsAsync(RoomPolicy room, long fromMinute, long toMinute, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        var now = Now();
        lock (state.Lock)
        {
            ForgetOldMinutes(state, now);
            return Task.FromResult<IReadOnlyList<Analytics.AnalyticsMinute>>(
                [.. state.Minutes.Where(m => m.Key >= fromMinute && m.Key < toMinute).Select(m => m.Value.Clone())]);
        }
    }

    /// <summary>A minute is kept until <see cref="Analytics.AnalyticsBatch.Retention"/> after its end, as the Redis hash's expiry.</summary>
    private static bool IsKept(long minute, long now) => (minute + 1) * MinuteMilliseconds + Milliseconds(Analytics.AnalyticsBatch.Retention) > now;

    private static void ForgetOldMinutes(Room state, long now)
    {
        while (state.Minutes.Count > 0 && !IsKept(state.Minutes.First().Key, now))
        {
            state.Minutes.Remove(state.Minutes.First().Key);
        }
    }

    public Task<RoomCounts> GetCountsAsync(RoomPolicy room, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        lock (state.Lock)
        {
            return Task.FromResult(new RoomCounts(state.Active.Count, state.Released.Count, state.Queue.Count, state.PromotedTotal, state.AdmittedTotal));
        }
    }

    public Task<long> ResetQueueAsync(RoomPolicy room, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        lock (state.Lock)
        {
            long removed = state.Queue.Count;
            state.Queue.Clear();
            state.Seen.Clear();
            state.Joined.Clear();
            state.Near = 0; // as Redis forgets the generations with the queue
            return Task.FromResult(removed);
        }
    }

    public Task<string?> GetDocumentAsync(string name, CancellationToken cancellationToken)
    {
        lock (_documents)
        {
            return Task.FromResult(_documents.GetValueOrDefault(name));
        }
    }

    public Task<bool> TrySetDocumentAsync(string name, string? expected, string value, CancellationToken cancellationToken)
    {
        lock (_documents)
        {
            if (!string.Equals(_documents.GetValueOrDefault(name) ?? "", expected ?? "", StringComparison.Ordinal))
            {
                return Task.FromResult(false);
            }

            _documents[name] = value;
            return Task.FromResult(true);
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

    private const long MinuteMilliseconds = 60_000;

    private sealed partial class Room
    {
        public Lock Lock { get; } = new();

        public ScoredSet Active { get; } = new();

        public ScoredSet Released { get; } = new();

        public ScoredSet Queue { get; } = new();

        public ScoredSet Seen { get; } = new();

        public ScoredSet Since { get; } = new();

        public ScoredSet Admits { get; } = new();

        /// <summary>Analytics: each waiter's join time (ms), for its time in queue.</summary>
        public Dictionary<string, long> Joined { get; } = new(StringComparer.Ordinal);

        /// <summary>Analytics: the room's minutes by Unix minute.</summary>
        public SortedDictionary<long, Analytics.AnalyticsMinute> Minutes { get; } = [];

        /// <summary>Analytics: the last batch applied per instance.</summary>
        public Dictionary<string, long> Sequences { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> Clients { get; } = new(StringComparer.Ordinal);

        public long ClientWindow { get; set; } = -1;

        public long Ticket { get; set; }

        /// <summary>The near mark: the highest order stamped near the head (see <see cref="StampNear"/>).</summary>
        public long Near { get; set; }

        public long PromotedTotal { get; set; }

        public long AdmittedTotal { get; set; }

        /// <summary>The adaptive capacity as last stored (unbounded: the bounds are the policy's at each decision); null before any.</summary>
        public CapacityState? Capacity { get; set; }

        /// <summary>The last <see cref="CapacityChangeRecord.Kept"/> changes of the adaptive capacity, oldest first; null before the first.</summary>
        public Queue<CapacityChangeRecord>? CapacityChanges { get; set; }

        /// <summary>Each instance's latest window of forwarded requests and when it was shared.</summary>
        public Dictionary<string, (long At, string Window)> Windows { get; } = new(StringComparer.Ordinal);

        /// <summary>The webhooks' record of each subject: when it was last seen and in which state (see RecordTransitionAsync).</summary>
        public Dictionary<string, (long At, string State)> Transitions { get; } = new(StringComparer.Ordinal);
    }
}
