using System.Collections.Concurrent;

namespace WaitingRoom.Queue;

/// <summary>
/// The admitted hot path without a store round trip: once the store has said a visitor is
/// active, this instance admits that visitor's further requests from memory for a short
/// lifetime, and writes their last-seen back in batches (<see cref="FlushAsync"/>, one script
/// per room per flush) instead of once per request.
/// </summary>
/// <remarks>
/// <para>Only the store admits: a cache entry is made from an <see cref="VisitorState.Active"/>
/// answer and never takes a slot, so capacity is exactly the store's. Everything that is not an
/// active visitor's request under the same policy (newcomers, waiters, another room, a changed
/// setting or event phase, a stale entry) goes to the store as before.</para>
/// <para>Revocation: each flush learns from the store which of the visitors seen since the last
/// flush are no longer active (released by the origin or an administrator on any instance, idle
/// past the TTL, past the session cap) and forgets them, and forgets every visitor not seen since
/// the last flush; no entry is trusted for longer than <see cref="Lifetime"/> without the store
/// confirming it. A release through this instance forgets the visitor at once. So a revoked
/// visitor is turned away within one flush interval (a quarter of the promotion interval, at most 0.5 s).</para>
/// <para>Outage: once a store call has failed or missed its deadline (<see cref="StoreAvailability"/>),
/// nobody is admitted from memory until the store answers again: every request meets the store's
/// failure and WR_FAILURE_MODE, not only the visitors without an entry.</para>
/// <para>Expiry: a visitor's last-seen in the store lags its last request by at most one flush
/// interval (a quarter of the promotion interval at most), far inside the active TTL; the lifetime
/// is also held under a quarter of the room's active TTL.</para>
/// </remarks>
internal sealed class AdmissionCache : IWaitingRoomStore
{
    /// <summary>Entries kept at most; past it, visitors are decided by the store on every request.</summary>
    internal const int MaxEntries = 1_000_000;

    /// <summary>Visitors refreshed per store call, so one call never holds Redis for long.</summary>
    internal const int TouchBatch = 500;

    private readonly IWaitingRoomStore _inner;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Room, string Visitor), Entry> _entries = new();
    private readonly StoreAvailability? _availability;

    /// <param name="inner">The store that decides.</param>
    /// <param name="time">The clock of entry lifetimes.</param>
    /// <param name="releaseInterval">The promotion interval the lifetime follows.</param>
    /// <param name="availability">The store's outage state: while the store is down, nobody is admitted from memory.</param>
    public AdmissionCache(IWaitingRoomStore inner, TimeProvider time, TimeSpan releaseInterval, StoreAvailability? availability = null)
    {
        _inner = inner;
        _time = time;
        _availability = availability;
        Lifetime = LifetimeFor(releaseInterval);
    }

    /// <summary>How long an entry is trusted without the store confirming it.</summary>
    public TimeSpan Lifetime { get; }

    /// <summary>How often last-seen times are written back and entries confirmed: half the lifetime.</summary>
    public TimeSpan FlushInterval => Lifetime / 2;

    /// <summary>Visitors admitted from memory right now (for tests and diagnostics).</summary>
    public int Count => _entries.Count;

    public string Kind => _inner.Kind;

    /// <summary>Half the promotion interval, at most 1 s: revocation stays well inside one interval.</summary>
    public static TimeSpan LifetimeFor(TimeSpan releaseInterval) =>
        TimeSpan.FromTicks(Math.Min(releaseInterval.Ticks / 2, TimeSpan.TicksPerSecond));

    public Task<AdmissionResult> AdmitAsync(RoomPolicy room, string visitorId, string? clientKey, CancellationToken cancellationToken) =>
        ActiveInMemory(room, visitorId) ?? AdmitThroughStoreAsync(room, _inner.AdmitAsync(room, visitorId, clientKey, cancellationToken), visitorId);

    /// <summary>As <see cref="AdmitAsync"/>: an active visitor from memory, anyone else by the store, which queues no newcomer.</summary>
    public Task<AdmissionResult> AdmitKnownAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) =>
        ActiveInMemory(room, visitorId) ?? AdmitThroughStoreAsync(room, _inner.AdmitKnownAsync(room, visitorId, cancellationToken), visitorId);

    /// <summary>The answer from memory (and the entry marked used) when the store said active under this very policy within the entry's lifetime, and the store is not down.</summary>
    private Task<AdmissionResult>? ActiveInMemory(RoomPolicy room, string visitorId)
    {
        var now = _time.GetTimestamp();
        if (_entries.TryGetValue((room.Name, visitorId), out var entry)
            && ReferenceEquals(entry.Policy, room)
            && now < Volatile.Read(ref entry.FreshUntil)
            && _availability?.IsDown != true)
        {
            Volatile.Write(ref entry.LastUsed, now);
            return entry.Result;
        }

        return null;
    }

    private async Task<AdmissionResult> AdmitThroughStoreAsync(RoomPolicy room, Task<AdmissionResult> decision, string visitorId)
    {
        var result = await decision;
        var lifetime = LifetimeOf(room);
        if (result.State == VisitorState.Active && lifetime > 0 && _entries.Count < MaxEntries)
        {
            // Confirmed now, by the store's own answer: the store has just refreshed last-seen.
            var now = _time.GetTimestamp();
            _entries[(room.Name, visitorId)] = new Entry(room, now, now + lifetime, result.AdmittedAt);
        }

        return result;
    }

    /// <summary>
    /// Writes back the last-seen of every visitor admitted from memory since its last
    /// confirmation and renews the entries the store still holds active; forgets the visitors the
    /// store no longer holds active and those not seen since the last flush. A store failure leaves
    /// the entries to run out by themselves within their lifetime.
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetTimestamp();
        Dictionary<RoomPolicy, List<KeyValuePair<(string Room, string Visitor), Entry>>>? due = null;
        foreach (var pair in _entries)
        {
            var entry = pair.Value;
            if (Volatile.Read(ref entry.LastUsed) > entry.Confirmed)
            {
                due ??= new(ReferenceEqualityComparer.Instance);
                if (!due.TryGetValue(entry.Policy, out var list))
                {
                    due[entry.Policy] = list = [];
                }

                list.Add(pair);
            }
            else
            {
                // Not used since the store last confirmed it: forgotten, so the visitor's next
                // request is decided by the store. No entry goes unchecked for longer than a flush.
                _entries.TryRemove(pair);
            }
        }

        if (due is null)
        {
            return;
        }

        foreach (var (policy, pairs) in due)
        {
            var renewedUntil = now + LifetimeOf(policy);
            for (var start = 0; start < pairs.Count; start += TouchBatch)
            {
                var batch = pairs.GetRange(start, Math.Min(TouchBatch, pairs.Count - start));
                var gone = await _inner.TouchAsync(policy, [.. batch.Select(p => p.Key.Visitor)], cancellationToken);
                var goneSet = gone.Count == 0 ? null : new HashSet<string>(gone, StringComparer.Ordinal);
                foreach (var pair in batch)
                {
                    if (goneSet?.Contains(pair.Key.Visitor) == true)
                    {
                        _entries.TryRemove(pair);
                    }
                    else
                    {
                        pair.Value.Confirmed = now;
                        Volatile.Write(ref pair.Value.FreshUntil, renewedUntil);
                    }
                }
            }
        }
    }

    /// <summary>The entry's lifetime in timestamp units for <paramref name="room"/>: also under a quarter of its active TTL.</summary>
    private long LifetimeOf(RoomPolicy room)
    {
        var lifetime = TimeSpan.FromTicks(Math.Min(Lifetime.Ticks, room.ActiveTtl.Ticks / 4));
        return lifetime < TimeSpan.FromMilliseconds(10) ? 0 : (long)(lifetime.TotalSeconds * _time.TimestampFrequency);
    }

    public Task<bool> ReleaseAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken)
    {
        // Released through this instance: turned away from the next request on, not a lifetime later.
        _entries.TryRemove((room.Name, visitorId), out _);
        return _inner.ReleaseAsync(room, visitorId, cancellationToken);
    }

    public Task<AdmissionResult> GetStatusAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) =>
        _inner.GetStatusAsync(room, visitorId, cancellationToken);

    public Task<PromotionResult> PromoteAsync(RoomPolicy room, int limit, CancellationToken cancellationToken) =>
        _inner.PromoteAsync(room, limit, cancellationToken);

    public Task<IReadOnlyList<string>> TouchAsync(RoomPolicy room, IReadOnlyList<string> visitorIds, CancellationToken cancellationToken) =>
        _inner.TouchAsync(room, visitorIds, cancellationToken);

    public Task<CapacityState> GetCapacityAsync(RoomPolicy room, CancellationToken cancellationToken) =>
        _inner.GetCapacityAsync(room, cancellationToken);

    public Task<CapacityState?> TrySetCapacityAsync(RoomPolicy room, CapacityChange change, CancellationToken cancellationToken) =>
        _inner.TrySetCapacityAsync(room, change, cancellationToken);

    public Task<IReadOnlyList<CapacityChangeRecord>> GetCapacityChangesAsync(RoomPolicy room, CancellationToken cancellationToken) =>
        _inner.GetCapacityChangesAsync(room, cancellationToken);

    public Task<StateTransition> RecordTransitionAsync(RoomPolicy room, string subject, string state, CancellationToken cancellationToken) =>
        _inner.RecordTransitionAsync(room, subject, state, cancellationToken);

    public Task<IReadOnlyList<string>> ShareWindowAsync(RoomPolicy room, string instance, string window, TimeSpan maxAge, CancellationToken cancellationToken) =>
        _inner.ShareWindowAsync(room, instance, window, maxAge, cancellationToken);

    public Task<bool> AddAnalyticsAsync(RoomPolicy room, Analytics.AnalyticsBatch batch, CancellationToken cancellationToken) =>
        _inner.AddAnalyticsAsync(room, batch, cancellationToken);

    public Task<IReadOnlyList<Analytics.AnalyticsMinute>> GetAnalyticsAsync(RoomPolicy room, long fromMinute, long toMinute, CancellationToken cancellationToken) =>
        _inner.GetAnalyticsAsync(room, fromMinute, toMinute, cancellationToken);

    public Task<QueueSnapshot> GetQueueSnapshotAsync(RoomPolicy room, CancellationToken cancellationToken) =>
        _inner.GetQueueSnapshotAsync(room, cancellationToken);

    public Task<RoomCounts> GetCountsAsync(RoomPolicy room, CancellationToken cancellationToken) =>
        _inner.GetCountsAsync(room, cancellationToken);

    // Access codes: straight to the store (a redemption is one atomic step there).
    public Task<bool> CreateCodeAsync(RoomPolicy room, Codes.AccessCode code, int maxCodes, CancellationToken cancellationToken) =>
        _inner.CreateCodeAsync(room, code, maxCodes, cancellationToken);

    public Task<IReadOnlyList<Codes.AccessCode>> ListCodesAsync(RoomPolicy room, CancellationToken cancellationToken) =>
        _inner.ListCodesAsync(room, cancellationToken);

    public Task<Codes.AccessCode?> RevokeCodeAsync(RoomPolicy room, string id, CancellationToken cancellationToken) =>
        _inner.RevokeCodeAsync(room, id, cancellationToken);

    public Task<Codes.CodeRedemption> RedeemCodeAsync(RoomPolicy room, string id, string hash, string visitorId, CancellationToken cancellationToken) =>
        _inner.RedeemCodeAsync(room, id, hash, visitorId, cancellationToken);

    public Task<long> ResetQueueAsync(RoomPolicy room, CancellationToken cancellationToken) =>
        _inner.ResetQueueAsync(room, cancellationToken);

    public Task<string?> GetDocumentAsync(string name, CancellationToken cancellationToken) =>
        _inner.GetDocumentAsync(name, cancellationToken);

    public Task<bool> TrySetDocumentAsync(string name, string? expected, string value, CancellationToken cancellationToken) =>
        _inner.TrySetDocumentAsync(name, expected, value, cancellationToken);

    public Task<string> GetOrCreateSecretAsync(string candidate, CancellationToken cancellationToken) =>
        _inner.GetOrCreateSecretAsync(candidate, cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken) => _inner.PingAsync(cancellationToken);

    /// <summary>One visitor admitted from memory. Times are <see cref="TimeProvider.GetTimestamp"/> values.</summary>
    private sealed class Entry(RoomPolicy policy, long confirmed, long freshUntil, long admittedAt)
    {
        /// <summary>The answer given from memory: active, with the admission's start as the store said it (one allocation per entry, none per request).</summary>
        public readonly Task<AdmissionResult> Result = Task.FromResult(new AdmissionResult(VisitorState.Active, 0, 0) { AdmittedAt = admittedAt });

        /// <summary>The policy the store decided under: another policy (a changed setting, an event phase) goes to the store.</summary>
        public readonly RoomPolicy Policy = policy;

        /// <summary>When the store last said active (and had last-seen refreshed); written by the flush only.</summary>
        public long Confirmed = confirmed;

        /// <summary>Until when requests are admitted from memory.</summary>
        public long FreshUntil = freshUntil;

        /// <summary>The last request admitted from memory; a flush writes it back when later than <see cref="Confirmed"/>.</summary>
        public long LastUsed = confirmed;
    }
}
