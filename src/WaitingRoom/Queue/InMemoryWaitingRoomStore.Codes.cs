using WaitingRoom.Codes;

namespace WaitingRoom.Queue;

/// <summary>Access codes in the embedded store: the same steps as the Redis store's code scripts, under the room's lock.</summary>
internal sealed partial class InMemoryWaitingRoomStore
{
    public Task<bool> CreateCodeAsync(RoomPolicy room, AccessCode code, int maxCodes, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        var now = _time.GetUtcNow();
        lock (state.Lock)
        {
            ForgetOldCodes(state, now);
            if (state.Codes.Count >= maxCodes || state.Codes.ContainsKey(code.Id))
            {
                return Task.FromResult(false);
            }

            state.Codes[code.Id] = new CodeState(code with { Used = 0, Revoked = false });
            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyList<AccessCode>> ListCodesAsync(RoomPolicy room, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        lock (state.Lock)
        {
            ForgetOldCodes(state, _time.GetUtcNow());
            return Task.FromResult<IReadOnlyList<AccessCode>>([.. state.Codes.Values.Select(c => c.Code).OrderByDescending(c => c.CreatedAt).ThenBy(c => c.Id, StringComparer.Ordinal)]);
        }
    }

    public Task<AccessCode?> RevokeCodeAsync(RoomPolicy room, string id, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        lock (state.Lock)
        {
            ForgetOldCodes(state, _time.GetUtcNow());
            if (!state.Codes.TryGetValue(id, out var stored))
            {
                return Task.FromResult<AccessCode?>(null);
            }

            stored.Code = stored.Code with { Revoked = true };
            return Task.FromResult<AccessCode?>(stored.Code);
        }
    }

    public Task<CodeRedemption> RedeemCodeAsync(RoomPolicy room, string id, string hash, string visitorId, CancellationToken cancellationToken)
    {
        var state = RoomOf(room);
        var now = Now();
        lock (state.Lock)
        {
            return Task.FromResult(Redeem(state, room, id, hash, visitorId, now));
        }
    }

    private static CodeRedemption Redeem(Room state, RoomPolicy room, string id, string hash, string visitorId, long now)
    {
        if (!state.Codes.TryGetValue(id, out var stored) || !string.Equals(stored.Code.Hash, hash, StringComparison.Ordinal))
        {
            return CodeRedemption.Invalid;
        }

        var code = stored.Code;
        if (code.Revoked)
        {
            return CodeRedemption.Revoked;
        }

        if (now >= code.ExpiresAt.ToUnixTimeMilliseconds())
        {
            return CodeRedemption.Expired;
        }

        if (room.Mode == QueueMode.Passthrough
            || (state.Active.TryGetScore(visitorId, out var last) && StillActive(state, room, visitorId, last, now))
            || (state.Released.TryGetScore(visitorId, out var released) && now - released <= Milliseconds(room.AdmissionWindow)))
        {
            return CodeRedemption.NotNeeded;
        }

        var again = stored.Redeemers.Contains(visitorId);
        if (!again)
        {
            if (code.Used >= code.Uses)
            {
                return CodeRedemption.UsedUp;
            }

            stored.Redeemers.Add(visitorId);
            stored.Code = code with { Used = code.Used + 1 };
        }

        // Into the lane, unless the visitor already waits there or further ahead (and still polls).
        var laneBase = QueueScores.LaneBase(code.Lane);
        var fresh = state.Queue.TryGetScore(visitorId, out _) && !IsStale(state, room, visitorId, now);
        if (!(fresh && state.Queue.TryGetScore(visitorId, out var order) && order < QueueScores.LaneEnd(code.Lane)))
        {
            state.Queue.Set(visitorId, laneBase + ++state.LaneTicket);
        }

        state.Seen.Set(visitorId, now);
        return again ? CodeRedemption.AlreadyRedeemed : CodeRedemption.Accepted;
    }

    /// <summary>Removes the codes a retention past their expiry, as Redis expires their keys.</summary>
    private static void ForgetOldCodes(Room state, DateTimeOffset now)
    {
        foreach (var old in state.Codes.Where(c => now >= c.Value.Code.ExpiresAt + AccessCode.Retention).Select(c => c.Key).ToList())
        {
            state.Codes.Remove(old);
        }
    }

    /// <summary>Waiters in lanes ahead of the visitor's own: the shown position counts only its own line and those before it that hold its lane.</summary>
    private static long LanesAhead(Room state, string visitorId) =>
        state.Queue.TryGetScore(visitorId, out var order) ? state.Queue.CountBelow(QueueScores.LaneEndBefore(order)) : 0;

    private sealed class CodeState(AccessCode code)
    {
        public AccessCode Code { get; set; } = code;

        /// <summary>Visitors who redeemed it: a second redemption by one of them counts no use.</summary>
        public HashSet<string> Redeemers { get; } = new(StringComparer.Ordinal);
    }

    private sealed partial class Room
    {
        public Dictionary<string, CodeState> Codes { get; } = new(StringComparer.Ordinal);

        /// <summary>The arrival order shared by both lanes (each lane keeps it within its own range).</summary>
        public long LaneTicket { get; set; }
    }
}
