using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Polly;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace WaitingRoom.Queue;

/// <summary>
/// The shared store: every room's state in Redis sorted sets under the room's hash tag, every
/// decision one Lua script (one round trip, atomic on the server), so any number of proxy
/// instances act as one room. Costs are O(log N) in the queue length: ZSCORE, ZRANK, ZADD, ZREM,
/// ZCARD and ranges bounded by a limit; nothing scans the queue. A waiter is one queue entry: its
/// last poll is kept as a generation in the score's low bits plus a small entry in the room's
/// poll log (see <see cref="GenerationFunctions"/>), not in a second sorted set. Every key a
/// script touches is passed in KEYS, so Redis Cluster routes and checks it (a slot being moved
/// answers TRYAGAIN before the script runs, never half-way through).
/// </summary>
internal sealed partial class RedisWaitingRoomStore : IWaitingRoomStore
{
    private readonly IConnectionMultiplexer _connection;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly Dictionary<string, RoomKeys> _keys = new(StringComparer.Ordinal);
    private readonly Lock _keysLock = new();
    private readonly StoreAvailability _availability;
    private readonly ConditionalWeakTable<string, byte[]> _loadedScripts = new();

    /// <param name="connection">The shared multiplexer.</param>
    /// <param name="time">The room's clock (passed to the scripts).</param>
    /// <param name="prefix">The first part of every key.</param>
    /// <param name="availability">Deadlines and the outage state, shared with the admission cache; a private one on the system clock when null.</param>
    public RedisWaitingRoomStore(IConnectionMultiplexer connection, TimeProvider time, string prefix, StoreAvailability? availability = null)
    {
        _connection = connection;
        _time = time;
        _prefix = prefix;
        _availability = availability ?? new StoreAvailability(TimeProvider.System);
        _availability.Probe = ProbeAsync;
    }

    public string Kind => "redis";

    public Task<AdmissionResult> AdmitAsync(RoomPolicy room, string visitorId, string? clientKey, CancellationToken cancellationToken) =>
        AdmitAsync(room, visitorId, clientKey, knownOnly: false, cancellationToken);

    public Task<AdmissionResult> AdmitKnownAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) =>
        AdmitAsync(room, visitorId, clientKey: null, knownOnly: true, cancellationToken);

    private async Task<AdmissionResult> AdmitAsync(RoomPolicy room, string visitorId, string? clientKey, bool knownOnly, CancellationToken cancellationToken)
    {
        var keys = KeysOf(room);
        var now = Now();
        var perClient = clientKey is null ? 0 : room.MaxNewPerClientPerMinute;
        var (window, windowLeft) = ClientWindow.Of(now);
        var result = await EvaluateAsync(
            AdmitScript,
            [keys.Active, keys.Released, keys.Queue, keys.Generations, keys.Ticket, keys.Since, keys.Admits, keys.Client($"{clientKey ?? "-"}:{window}"), keys.Admitted, keys.PollLog, keys.Capacity, keys.Clock],
            [
                visitorId, now, room.MaxActive, Milliseconds(room.ActiveTtl), Milliseconds(room.AdmissionWindow), Milliseconds(room.QueueTtl),
                (int)room.Mode, room.ShuffleArrivals ? 1 : 0, room.ShuffleArrivals ? QueueScores.RandomDraw() : 0, room.NewUsersPerMinute, Milliseconds(room.SessionMax), perClient,
                windowLeft, QueueScores.GenerationWidth(room.QueueTtl), room.Adaptive ? 1 : 0, room.MinActive, knownOnly ? 1 : 0,
                room.MaxQueue, room.NearZone,
            ],
            _availability.RequestDeadline,
            cancellationToken);
        return ToAdmission(result);
    }

    public async Task<AdmissionResult> GetStatusAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken)
    {
        var keys = KeysOf(room);
        var result = await EvaluateAsync(
            StatusScript,
            [keys.Active, keys.Released, keys.Queue, keys.Generations, keys.Since, keys.PollLog],
            [
                visitorId, Now(), Milliseconds(room.ActiveTtl), Milliseconds(room.AdmissionWindow), Milliseconds(room.QueueTtl), Milliseconds(room.SessionMax),
                QueueScores.GenerationWidth(room.QueueTtl),
            ],
            _availability.RequestDeadline,
            cancellationToken);
        return ToAdmission(result);
    }

    public async Task<PromotionResult> PromoteAsync(RoomPolicy room, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var keys = KeysOf(room);
        var result = (RedisResult[])(await EvaluateAsync(
            PromoteScript,
            [keys.Active, keys.Released, keys.Queue, keys.Generations, keys.Promoted, keys.Since, keys.Admits, keys.PollLog, keys.Capacity, keys.Clock, keys.Ticket],
            [
                Now(), room.MaxActive, Milliseconds(room.ActiveTtl), Milliseconds(room.AdmissionWindow), Milliseconds(room.QueueTtl), limit,
                (int)room.Mode, room.NewUsersPerMinute, Milliseconds(room.SessionMax), System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue),
                QueueScores.GenerationWidth(room.QueueTtl), room.Adaptive ? 1 : 0, room.MinActive, room.NearZone,
            ],
            StoreAvailability.BackgroundDeadline,
            cancellationToken))!;
        return new PromotionResult((long)result[0], (long)result[1], (long)result[2], (long)result[3], (long)result[4], (long)result[5] == 1)
        {
            Waits = result.Length > 6 ? Longs(result[6]) : [],
            Sessions = result.Length > 7 ? Longs(result[7]) : [],
        };
    }

    public async Task<bool> ReleaseAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken)
    {
        var keys = KeysOf(room);
        var result = await EvaluateAsync(ReleaseScript, [keys.Active, keys.Since], [visitorId], _availability.RequestDeadline, cancellationToken);
        return (long)result == 1;
    }

    public async Task<IReadOnlyList<string>> TouchAsync(RoomPolicy room, IReadOnlyList<string> visitorIds, CancellationToken cancellationToken)
    {
        if (visitorIds.Count == 0)
        {
            return [];
        }

        var keys = KeysOf(room);
        var args = new RedisValue[3 + visitorIds.Count];
        args[0] = Now();
        args[1] = Milliseconds(room.ActiveTtl);
        args[2] = Milliseconds(room.SessionMax);
        for (var i = 0; i < visitorIds.Count; i++)
        {
            args[3 + i] = visitorIds[i];
        }

        var gone = (RedisResult[])(await EvaluateAsync(TouchScript, [keys.Active, keys.Since], args, _availability.RequestDeadline, cancellationToken))!;
        return gone.Length == 0 ? [] : [.. gone.Select(id => (string)id!)];
    }

    public async Task<CapacityState> GetCapacityAsync(RoomPolicy room, CancellationToken cancellationToken)
    {
        var key = KeysOf(room).Capacity;
        var values = await CallAsync(database => database.HashGetAsync(key, s_capacityFields, Master), StoreAvailability.BackgroundDeadline, cancellationToken);
        if (values[5].IsNull)
        {
            return CapacityState.Initial(room);
        }

        var pinnedBy = values[2].IsNullOrEmpty ? null : (string?)values[2];
        var changedAt = values[4].TryParse(out long at) ? DateTimeOffset.FromUnixTimeMilliseconds(at) : (DateTimeOffset?)null;
        return new CapacityState(
            CapacityState.Bounded(room, values[0].TryParse(out long capacity) ? capacity : room.MinActive),
            values[1] == "1",
            pinnedBy,
            (string?)values[3] ?? "",
            values[5].TryParse(out long version) ? version : 0,
            changedAt);
    }

    public async Task<CapacityState?> TrySetCapacityAsync(RoomPolicy room, CapacityChange change, CancellationToken cancellationToken)
    {
        var now = Now();
        var capacity = CapacityState.Bounded(room, change.Capacity);
        var keys = KeysOf(room);
        var result = (RedisResult[])(await EvaluateAsync(
            SetCapacityScript,
            [keys.Capacity, keys.CapacityChanges],
            [
                now, change.ExpectedVersion is { } expected ? (RedisValue)expected : RedisValue.EmptyString, capacity, change.Hold ? 1 : 0, change.PinnedBy ?? "", change.Reason, Milliseconds(change.MinGap),
                room.MinActive, room.MaxActive, change.By, Signal(change.P95), Signal(change.ErrorShare), CapacityChangeRecord.Kept,
            ],
            StoreAvailability.BackgroundDeadline,
            cancellationToken))!;
        return (long)result[0] == 1
            ? new CapacityState(capacity, change.Hold, change.PinnedBy, change.Reason, (long)result[1], DateTimeOffset.FromUnixTimeMilliseconds(now))
            : null;
    }

    public async Task<IReadOnlyList<CapacityChangeRecord>> GetCapacityChangesAsync(RoomPolicy room, CancellationToken cancellationToken)
    {
        var key = KeysOf(room).CapacityChanges;
        var entries = await CallAsync(database => database.ListRangeAsync(key, -CapacityChangeRecord.Kept, -1, Master), StoreAvailability.BackgroundDeadline, cancellationToken);
        var changes = new List<CapacityChangeRecord>(entries.Length);

        // The list has the newest last (RPUSH); the answer has it first.
        foreach (var entry in Enumerable.Reverse(entries))
        {
            // at|from|to|reason|by|p95|errorShare, as SetCapacityScript writes it; an entry not so is left out.
            var parts = ((string?)entry ?? "").Split('|');
            if (parts.Length == 7 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var at) &&
                int.TryParse(parts[1], CultureInfo.InvariantCulture, out var from) && int.TryParse(parts[2], CultureInfo.InvariantCulture, out var to))
            {
                changes.Add(new CapacityChangeRecord(DateTimeOffset.FromUnixTimeMilliseconds(at), from, to, parts[3], parts[4], SignalOf(parts[5]), SignalOf(parts[6])));
            }
        }

        return changes;
    }

    /// <summary>A signal of a capacity change as the list keeps it: four decimals, or empty when there was none.</summary>
    private static string Signal(double? value) => value is { } v ? Math.Round(v, 4).ToString(CultureInfo.InvariantCulture) : "";

    private static double? SignalOf(string text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;

    public async Task<IReadOnlyList<string>> ShareWindowAsync(RoomPolicy room, string instance, string window, TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await EvaluateAsync(ShareWindowScript, [KeysOf(room).Windows], [Now(), instance, window, Milliseconds(maxAge)], StoreAvailability.BackgroundDeadline, cancellationToken))!;
        return [.. result.Select(w => (string)w!)];
    }

    public async Task<StateTransition> RecordTransitionAsync(RoomPolicy room, string subject, string state, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await EvaluateAsync(TransitionScript, [KeysOf(room).Transitions], [subject, state, Now()], StoreAvailability.BackgroundDeadline, cancellationToken))!;
        return new StateTransition((long)result[0] == 1, result[1].IsNull ? null : (string?)result[1]);
    }

    /// <summary>The fields of the adaptive capacity's hash, in the order <see cref="GetCapacityAsync"/> reads them.</summary>
    private static readonly RedisValue[] s_capacityFields = ["cap", "hold", "pin", "why", "at", "v"];

    public async Task<bool> AddAnalyticsAsync(RoomPolicy room, Analytics.AnalyticsBatch batch, CancellationToken cancellationToken)
    {
        var keys = KeysOf(room);
        var redisKeys = new List<RedisKey>(batch.Minutes.Count + 1) { keys.Flushed(batch.Instance) };
        var args = new List<RedisValue> { batch.Sequence, Now(), Milliseconds(Analytics.AnalyticsBatch.Retention) };
        foreach (var minute in batch.Minutes)
        {
            redisKeys.Add(keys.Stats(minute.Minute));
            var adds = new List<RedisValue>();
            AddField(adds, "a", minute.Arrivals);
            AddField(adds, "d", minute.Admitted);
            AddField(adds, "b", minute.Abandoned);
            AddField(adds, "r", minute.ReleasedByOrigin);
            for (var i = 0; i < Analytics.DurationBuckets.Count; i++)
            {
                AddField(adds, s_waitFields[i], minute.TimeInQueue[i]);
                AddField(adds, s_siteFields[i], minute.TimeOnSite[i]);
            }

            args.Add(minute.Minute * 60_000);
            args.Add(adds.Count / 2);
            args.Add(3);
            args.AddRange(adds);
            args.AddRange(["q", minute.Queued, "x", minute.Active, "c", minute.Capacity]);
        }

        var result = await EvaluateAsync(AddAnalyticsScript, [.. redisKeys], [.. args], StoreAvailability.BackgroundDeadline, cancellationToken);
        return (long)result == 1;

        static void AddField(List<RedisValue> pairs, RedisValue field, long increment)
        {
            if (increment != 0)
            {
                pairs.Add(field);
                pairs.Add(increment);
            }
        }
    }

    public async Task<IReadOnlyList<Analytics.AnalyticsMinute>> GetAnalyticsAsync(RoomPolicy room, long fromMinute, long toMinute, CancellationToken cancellationToken)
    {
        var keys = KeysOf(room);
        var minutes = new List<Analytics.AnalyticsMinute>();
        toMinute = Math.Min(toMinute, fromMinute + 43_200);

        // One script per day of minutes: a month is 30 calls, none holding Redis for long.
        for (var start = fromMinute; start < toMinute; start += 1440)
        {
            var end = Math.Min(toMinute, start + 1440);
            var chunk = new RedisKey[end - start];
            for (var m = start; m < end; m++)
            {
                chunk[m - start] = keys.Stats(m);
            }

            var hashes = (RedisResult[])(await EvaluateAsync(GetAnalyticsScript, chunk, [], StoreAvailability.BackgroundDeadline, cancellationToken))!;
            for (var i = 0; i < hashes.Length; i++)
            {
                var fields = (RedisResult[])hashes[i]!;
                if (fields.Length > 0)
                {
                    minutes.Add(ToMinute(start + i, fields));
                }
            }
        }

        return minutes;
    }

    private static readonly string[] s_waitFields = [.. Enumerable.Range(0, Analytics.DurationBuckets.Count).Select(i => "w" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private static readonly string[] s_siteFields = [.. Enumerable.Range(0, Analytics.DurationBuckets.Count).Select(i => "s" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private static Analytics.AnalyticsMinute ToMinute(long minute, RedisResult[] fields)
    {
        var result = new Analytics.AnalyticsMinute(minute);
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            var name = (string)fields[i]!;
            var value = (long)fields[i + 1];
            switch (name)
            {
                case "a": result.Arrivals = value; break;
                case "d": result.Admitted = value; break;
                case "b": result.Abandoned = value; break;
                case "r": result.ReleasedByOrigin = value; break;
                case "q": result.Queued = value; break;
                case "x": result.Active = value; break;
                case "c": result.Capacity = value; break;
                default:
                    if (name.Length > 1 && int.TryParse(name.AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bucket) && bucket < Analytics.DurationBuckets.Count)
                    {
                        (name[0] == 'w' ? result.TimeInQueue : result.TimeOnSite)[bucket] = value;
                    }

                    break;
            }
        }

        return result;
    }

    private static long[] Longs(RedisResult result) => [.. ((RedisResult[])result!).Select(r => (long)r)];

    public async Task<RoomCounts> GetCountsAsync(RoomPolicy room, CancellationToken cancellationToken)
    {
        var keys = KeysOf(room);
        var result = (RedisResult[])(await EvaluateAsync(
            CountsScript,
            [keys.Active, keys.Released, keys.Queue, keys.Promoted, keys.Admitted],
            [],
            StoreAvailability.BackgroundDeadline,
            cancellationToken))!;
        return new RoomCounts((long)result[0], (long)result[1], (long)result[2], (long)result[3], (long)result[4]);
    }

    public async Task<QueueSnapshot> GetQueueSnapshotAsync(RoomPolicy room, CancellationToken cancellationToken)
    {
        var keys = KeysOf(room);
        var result = (RedisResult[])(await EvaluateAsync(SnapshotScript, [keys.Queue, keys.Generations, keys.Ticket], [], _availability.RequestDeadline, cancellationToken))!;
        return new QueueSnapshot((long)result[0], (long)result[1], (long)result[2], (long)result[3]);
    }

    public async Task<long> ResetQueueAsync(RoomPolicy room, CancellationToken cancellationToken)
    {
        var keys = KeysOf(room);
        return (long)await EvaluateAsync(ResetScript, [keys.Queue, keys.Generations, keys.PollLog], [], StoreAvailability.BackgroundDeadline, cancellationToken);
    }

    public async Task<string?> GetDocumentAsync(string name, CancellationToken cancellationToken)
    {
        var key = RoomKeys.Document(_prefix, name);
        return await CallAsync(database => database.StringGetAsync(key, Master), StoreAvailability.BackgroundDeadline, cancellationToken);
    }

    public async Task<bool> TrySetDocumentAsync(string name, string? expected, string value, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(SetDocumentScript, [RoomKeys.Document(_prefix, name)], [expected ?? "", value], StoreAvailability.BackgroundDeadline, cancellationToken);
        return (long)result == 1;
    }

    public async Task<string> GetOrCreateSecretAsync(string candidate, CancellationToken cancellationToken)
    {
        var key = RoomKeys.Secret(_prefix);
        var result = await EvaluateAsync(SecretScript, [key], [candidate], _availability.RequestDeadline, cancellationToken);
        return (string)result!;
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await CallAsync(database => database.PingAsync(Master), _availability.RequestDeadline, cancellationToken);
    }

    /// <summary>
    /// Every call goes to a master: with Sentinel or replicas the client would otherwise send a
    /// call to a replica while the master is away (stale reads, READONLY answers that look like a
    /// Redis that answers); this way a missing master is silence, and the room's outage rules apply.
    /// </summary>
    private const CommandFlags Master = CommandFlags.DemandMaster;

    private RoomKeys KeysOf(RoomPolicy room)
    {
        lock (_keysLock)
        {
            if (!_keys.TryGetValue(room.Name, out var keys))
            {
                keys = new RoomKeys(_prefix, room.Name);
                _keys[room.Name] = keys;
            }

            return keys;
        }
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static long Milliseconds(TimeSpan span) => (long)span.TotalMilliseconds;

    private static AdmissionResult ToAdmission(RedisResult result)
    {
        var values = (RedisResult[])result!;
        return new AdmissionResult((VisitorState)(int)values[0], (long)values[1], (long)values[2], values.Length > 3 ? (long)values[3] : 0)
        {
            Admitted = values.Length > 4 && (long)values[4] == 1,
            AdmittedAt = values.Length > 5 ? (long)values[5] : 0,
            WaitedMilliseconds = values.Length > 6 && (long)values[6] >= 0 ? (long)values[6] : null,
            Joined = values.Length > 7 && (long)values[7] == 1,
            Order = values.Length > 8 ? (long)values[8] : 0,
        };
    }

    /// <summary>
    /// Runs a script under <paramref name="deadline"/> (see <see cref="CallAsync"/>): by its text
    /// until that worked once (the client loads it), then by its SHA1, and by its text again after
    /// NOSCRIPT (a restarted or promoted Redis).
    /// </summary>
    private Task<RedisResult> EvaluateAsync(string script, RedisKey[] keys, RedisValue[] values, TimeSpan deadline, CancellationToken cancellationToken) =>
        CallAsync(database => EvaluateByHashAsync(database, script, keys, values), deadline, cancellationToken);

    private async Task<RedisResult> EvaluateByHashAsync(IDatabaseAsync database, string script, RedisKey[] keys, RedisValue[] values)
    {
        // Given the text, the client finds the SHA1 by hashing the whole script on every call (9 % of
        // an arrival storm's CPU); here it is worked out once per script, keyed by reference.
        if (_loadedScripts.TryGetValue(script, out var hash))
        {
            try
            {
                return await database.ScriptEvaluateAsync(hash, keys, values, Master);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                _loadedScripts.Remove(script);
            }
        }

        var result = await database.ScriptEvaluateAsync(script, keys, values, Master);
#pragma warning disable CA5350 // Redis names a script by its SHA1; nothing is signed with it.
        _loadedScripts.AddOrUpdate(script, SHA1.HashData(Encoding.UTF8.GetBytes(script)));
#pragma warning restore CA5350
        return result;
    }

    /// <summary>
    /// Every call to Redis: fails at once while the circuit is open (and starts a probe,
    /// <see cref="ProbeAsync"/>), else is sent and waited for under <paramref name="deadline"/>
    /// (<see cref="WithinAsync"/>), its outcome then recorded by the circuit. A request that goes away
    /// stops waiting, but the call's outcome still reaches the circuit: a cancelled call is no answer.
    /// A call past its deadline may still run on the server later.
    /// </summary>
    private async Task<T> CallAsync<T>(Func<IDatabase, Task<T>> call, TimeSpan deadline, CancellationToken cancellationToken)
    {
        if (_availability.FailingFast() is { } down)
        {
            throw down;
        }

        Task<T> pending;
        try
        {
            pending = call(_connection.GetDatabase());
        }
        catch (Exception ex)
        {
            pending = Task.FromException<T>(ex);
        }

        try
        {
            // One async layer per call, the circuit told after the fact: running the wait inside
            // Polly's pipeline cost five more state machines (~1 KB) on every request.
            var result = await WithinAsync(pending, deadline, cancellationToken);
            _availability.Record(Outcome.FromResult(result));
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !pending.IsCompleted)
        {
            _ = RecordLaterAsync(pending, deadline);
            throw;
        }
        catch (RedisServerException ex)
        {
            // An error Redis answered with (TRYAGAIN, LOADING, NOPERM): this call fails, Redis is there.
            _availability.Record<T>(ex);
            throw new StoreUnavailableException($"Redis refused the call: {ex.Message}", ex);
        }
        catch (Exception ex) when (StoreAvailability.IsSilence(ex))
        {
            _availability.Record<T>(ex);
            throw new StoreUnavailableException($"Redis did not answer: {ex.Message}", ex);
        }
        catch (Exception ex)
        {
            _availability.Record<T>(ex);
            throw;
        }
    }

    /// <summary>The outcome of a call whose request went away, recorded by the circuit when it comes.</summary>
    private async Task RecordLaterAsync<T>(Task<T> pending, TimeSpan deadline)
    {
        try
        {
            _availability.Record(Outcome.FromResult(await WithinAsync(pending, deadline, CancellationToken.None)));
        }
        catch (Exception ex)
        {
            _availability.Record<T>(ex);
        }
    }

    /// <summary>
    /// One PING through the circuit, its trial once <see cref="StoreAvailability.ProbeInterval"/>
    /// has passed (turned away before): an answer closes it. Requests are never the trial, as they
    /// would be with Polly alone: a visitor would wait a deadline on a Redis still silent.
    /// </summary>
    private async Task ProbeAsync()
    {
        var context = ResilienceContextPool.Shared.Get();
        try
        {
            var outcome = await _availability.Pipeline.ExecuteOutcomeAsync(
                static async (_, store) => Outcome.FromResult(await store.WithinAsync(store._connection.GetDatabase().PingAsync(Master), store._availability.RequestDeadline, CancellationToken.None)),
                context,
                this);
            if (outcome.Exception is { } exception && StoreAvailability.IsSilence(exception))
            {
                _availability.Failed(exception);
            }
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
            _availability.ProbeEnded();
        }
    }

    /// <summary>
    /// Waits for <paramref name="call"/> up to <paramref name="deadline"/>. Past it, a Redis that
    /// answered other calls within the last <see cref="StoreAvailability.BusyStep"/> is busy, not
    /// gone: the call is waited for in steps while answers keep coming and the circuit is closed,
    /// up to the client's own timeout. A silent Redis still costs a request one deadline and a
    /// step at most. (Polly's timeout is one fixed deadline: it cannot wait longer for a busy Redis.)
    /// </summary>
    private async Task<T> WithinAsync<T>(Task<T> call, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var step = deadline;
        while (true)
        {
            try
            {
                var result = await call.WaitAsync(step, _availability.Time, cancellationToken);
                _availability.Answered();
                return result;
            }
            catch (TimeoutException) when (!call.IsCompleted && !_availability.IsDown && _availability.AnsweredWithin(StoreAvailability.BusyStep))
            {
                step = StoreAvailability.BusyStep;
            }
            catch (RedisServerException)
            {
                _availability.Answered();
                throw;
            }
        }
    }
}
