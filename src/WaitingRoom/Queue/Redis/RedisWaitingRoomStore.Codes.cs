using System.Globalization;
using StackExchange.Redis;
using WaitingRoom.Codes;

namespace WaitingRoom.Queue;

/// <summary>Access codes in Redis: one hash per code under the room's hash tag, redeemed by one script.</summary>
internal sealed partial class RedisWaitingRoomStore
{
    /// <summary>
    /// The lanes of code holders, shared by the admission, status, promotion and redemption scripts (placed
    /// after <see cref="GenerationFunctions"/>, whose BASE and GEN it uses). Orders as in <see cref="QueueScores"/>:
    /// skip [-2^45, -2^44), priority [-2^44, -2^43), then the general line. <c>lanes_ahead</c> is how many
    /// waiters ahead of an order are in a lane ahead of its own, so a shown position counts only its own
    /// line: a code holder's arrival never moves a general waiter's position up. One ZCOUNT, O(log N).
    /// </summary>
    private const string CodeFunctions = """
        -- Access codes: begin
        local LANE_SKIP, LANE_PRIORITY, LANES_END = -35184372088832, -17592186044416, -8796093022208
        local function lanes_ahead(queue, order)
          local bound = LANES_END
          if order < LANE_PRIORITY then return 0 end
          if order < LANES_END then bound = LANE_PRIORITY end
          return redis.call('ZCOUNT', queue, '-inf', string.format('(%d', BASE + bound * GEN))
        end
        -- Access codes: end

        """;

    /// <summary>
    /// A new access code. KEYS: 1 the room's codes, 2 the code. ARGV: 1 now (ms), 2 most codes per room, 3 id,
    /// 4 hash, 5 lane (0 skip, 1 priority), 6 uses, 7 expires (ms), 8 created (ms), 9 forget at (ms).
    /// Returns 1 when stored, 0 when the room is at its cap or the id exists. Codes past their retention
    /// leave the list first; the record expires by itself then (PEXPIRE, relative, so the room's clock decides).
    /// </summary>
    private const string CreateCodeScript = """
        local now = tonumber(ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now))
        if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        redis.call('HSET', KEYS[2], 'hash', ARGV[4], 'lane', ARGV[5], 'uses', ARGV[6], 'used', 0, 'exp', ARGV[7], 'created', ARGV[8], 'revoked', 0)
        redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[9]) - now)
        redis.call('ZADD', KEYS[1], ARGV[9], ARGV[3])
        return 1
        """;

    /// <summary>KEYS: 1 the code. Marks it revoked; returns its fields (as <see cref="s_codeFields"/>), or an empty list when there is none.</summary>
    private const string RevokeCodeScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
        redis.call('HSET', KEYS[1], 'revoked', 1)
        return redis.call('HMGET', KEYS[1], 'hash', 'lane', 'uses', 'used', 'exp', 'created', 'revoked')
        """;

    /// <summary>
    /// Redeems a code for one visitor.
    /// KEYS: 1 the code, 2 its redeemers, 3 active, 4 released, 5 queue, 6 generations, 7 poll log, 8 lane ticket, 9 since.
    /// ARGV: 1 visitor id, 2 now (ms), 3 the hash of the code sent, 4 active TTL (ms), 5 admission window (ms),
    /// 6 queue TTL (ms), 7 session max (ms, 0 = none), 8 generation width (ms), 9 mode (as in the admission script).
    /// Returns a <see cref="CodeRedemption"/>. Atomic, so the uses are counted exactly with any number of instances:
    /// two visitors cannot both take the last use, and a visitor redeeming twice at once is charged once. The visitor
    /// moves into the lane by the generation rules of a poll (its old poll log entry no longer matches its score).
    /// </summary>
    private const string RedeemCodeScript = ActiveFunctions + GenerationFunctions + CodeFunctions + """
        local c = redis.call('HMGET', KEYS[1], 'hash', 'lane', 'uses', 'used', 'exp', 'revoked')
        if not c[1] or c[1] ~= ARGV[3] then return 3 end
        if c[6] == '1' then return 4 end
        local id = ARGV[1]
        local now = tonumber(ARGV[2])
        if now >= tonumber(c[5]) then return 5 end
        if ARGV[9] == '2' then return 2 end
        local last = redis.call('ZSCORE', KEYS[3], id)
        if last and still_active(KEYS[9], id, last, now, tonumber(ARGV[4]), tonumber(ARGV[7])) then return 2 end
        local released = redis.call('ZSCORE', KEYS[4], id)
        if released and now - tonumber(released) <= tonumber(ARGV[5]) then return 2 end
        local again = redis.call('SISMEMBER', KEYS[2], id) == 1
        if not again then
          if tonumber(c[4]) >= tonumber(c[3]) then return 6 end
          redis.call('HINCRBY', KEYS[1], 'used', 1)
          redis.call('SADD', KEYS[2], id)
          local life = redis.call('PTTL', KEYS[1])
          if life > 0 then redis.call('PEXPIRE', KEYS[2], life) end
        end
        local base, stop = LANE_SKIP, LANE_PRIORITY
        if c[2] == '1' then base, stop = LANE_PRIORITY, LANES_END end
        local width = tonumber(ARGV[8])
        local score = redis.call('ZSCORE', KEYS[5], id)
        if score then
          score = tonumber(score)
          local polled = poll_state(KEYS[6], score, now, tonumber(ARGV[6]))
          if polled ~= 'stale' and order_of(score) < stop then
            -- already in this lane or one ahead: it keeps its place, as a poll
            if polled ~= 'current' then
              move_to_open_generation(KEYS[5], KEYS[6], KEYS[7], id, order_of(score), polled ~= 'unknown' and score % GEN, now, width)
            end
            if again then return 1 end
            return 0
          end
        end
        move_to_open_generation(KEYS[5], KEYS[6], KEYS[7], id, base + redis.call('INCR', KEYS[8]), false, now, width)
        if again then return 1 end
        return 0
        """;

    /// <summary>The fields of a code's hash, in the order the scripts and <see cref="ToCode"/> read them.</summary>
    private static readonly RedisValue[] s_codeFields = ["hash", "lane", "uses", "used", "exp", "created", "revoked"];

    public async Task<bool> CreateCodeAsync(RoomPolicy room, AccessCode code, int maxCodes, CancellationToken cancellationToken)
    {
        var keys = KeysOf(room);
        var expires = code.ExpiresAt.ToUnixTimeMilliseconds();
        var result = await EvaluateAsync(
            CreateCodeScript,
            [keys.Codes, keys.Code(code.Id)],
            [Now(), maxCodes, code.Id, code.Hash, (int)code.Lane, code.Uses, expires, code.CreatedAt.ToUnixTimeMilliseconds(), expires + Milliseconds(AccessCode.Retention)],
            StoreAvailability.BackgroundDeadline,
            cancellationToken);
        return (long)result == 1;
    }

    public async Task<IReadOnlyList<AccessCode>> ListCodesAsync(RoomPolicy room, CancellationToken cancellationToken)
    {
        // Not one script: a listing needs no atomicity, and the records' keys come from the list (a script declares its keys first).
        var keys = KeysOf(room);
        var now = Now();
        var ids = await CallAsync(
            async database =>
            {
                await database.SortedSetRemoveRangeByScoreAsync(keys.Codes, double.NegativeInfinity, now, Exclude.None, Master);
                return await database.SortedSetRangeByRankAsync(keys.Codes, 0, -1, Order.Ascending, Master);
            },
            StoreAvailability.BackgroundDeadline,
            cancellationToken);
        if (ids.Length == 0)
        {
            return [];
        }

        var records = await CallAsync(
            database => Task.WhenAll(ids.Select(id => database.HashGetAsync(keys.Code(id!), s_codeFields, Master))),
            StoreAvailability.BackgroundDeadline,
            cancellationToken);
        var codes = new List<AccessCode>(ids.Length);
        for (var i = 0; i < ids.Length; i++)
        {
            if (ToCode((string)ids[i]!, records[i]) is { } code)
            {
                codes.Add(code);
            }
        }

        return [.. codes.OrderByDescending(c => c.CreatedAt).ThenBy(c => c.Id, StringComparer.Ordinal)];
    }

    public async Task<AccessCode?> RevokeCodeAsync(RoomPolicy room, string id, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await EvaluateAsync(RevokeCodeScript, [KeysOf(room).Code(id)], [], StoreAvailability.BackgroundDeadline, cancellationToken))!;
        return result.Length == 0 ? null : ToCode(id, [.. result.Select(r => (RedisValue)r)]);
    }

    public async Task<CodeRedemption> RedeemCodeAsync(RoomPolicy room, string id, string hash, string visitorId, CancellationToken cancellationToken)
    {
        var keys = KeysOf(room);
        var result = await EvaluateAsync(
            RedeemCodeScript,
            [keys.Code(id), keys.CodeRedeemers(id), keys.Active, keys.Released, keys.Queue, keys.Generations, keys.PollLog, keys.LaneTicket, keys.Since],
            [
                visitorId, Now(), hash, Milliseconds(room.ActiveTtl), Milliseconds(room.AdmissionWindow), Milliseconds(room.QueueTtl),
                Milliseconds(room.SessionMax), QueueScores.GenerationWidth(room.QueueTtl), (int)room.Mode,
            ],
            _availability.RequestDeadline,
            cancellationToken);
        return (CodeRedemption)(int)(long)result;
    }

    /// <summary>A code from its hash's fields (<see cref="s_codeFields"/>); null when the record is gone (expired meanwhile).</summary>
    private static AccessCode? ToCode(string id, RedisValue[] fields)
    {
        if (fields.Length < 7 || fields[0].IsNull)
        {
            return null;
        }

        static long Number(RedisValue value) => long.Parse((string)value!, CultureInfo.InvariantCulture);
        return new AccessCode(
            id,
            (string)fields[0]!,
            fields[1] == "1" ? CodeLane.Priority : CodeLane.Skip,
            (int)Number(fields[2]),
            (int)Number(fields[3]),
            DateTimeOffset.FromUnixTimeMilliseconds(Number(fields[4])),
            DateTimeOffset.FromUnixTimeMilliseconds(Number(fields[5])),
            fields[6] == "1");
    }
}
