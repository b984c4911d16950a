namespace WaitingRoom.Queue;

internal sealed partial class RedisWaitingRoomStore
{
    /// <summary>
    /// The admission decision for one request.
    /// KEYS: 1 active, 2 released, 3 queue, 4 seen, 5 ticket, 6 since, 7 admits, 8 the client's counter of this minute, 9 admitted total.
    /// ARGV: 1 visitor id, 2 now (ms), 3 max active, 4 active TTL (ms), 5 admission window (ms),
    /// 6 queue TTL (ms), 7 mode (0 fifo, 1 random, 2 passthrough, 3 queue-all, 4 reject),
    /// 8 shuffle arrivals (0/1), 9 a random score in [0, 2^50), 10 new users per minute (0 = no cap),
    /// 11 session max (ms, 0 = none), 12 new entries per client per minute (0 = no cap), 13 ms until this minute ends.
    /// Returns {state, position, queueLength, retryAfterMs, admitted}; state 1 active, 3 queued, 4 rejected,
    /// 5 limited; admitted 1 when a new slot was taken straight away (counted in the admitted total).
    /// Atomic because Redis runs a script alone: the capacity and the minute's admissions it counts
    /// cannot change before it admits, so no two instances can both take the last slot or the last
    /// admission of the minute, and a newcomer is only admitted when nobody waits ahead.
    /// Queue scores: visitors pushed back by queue-all [-2^51, -2^50), draws of a shuffled pre-queue
    /// [0, 2^50), tickets in arrival order [2^50, ...): a draw is always ahead of later tickets.
    /// In random mode the head is not admitted directly: the promotion's draw decides. Every command
    /// is O(log N) or O(1) (the minute's admissions are at most the rate cap).
    /// </summary>
    private const string AdmitScript = """
        local id = ARGV[1]
        local now = tonumber(ARGV[2])
        local max = tonumber(ARGV[3])
        local mode = tonumber(ARGV[7])
        local shuffle = ARGV[8] == '1'
        local rate = tonumber(ARGV[10])
        local sessionMax = tonumber(ARGV[11])
        local perClient = tonumber(ARGV[12])

        local function activate(counted)
          redis.call('ZADD', KEYS[1], now, id)
          redis.call('ZADD', KEYS[6], 'NX', now, id)
          if counted then
            redis.call('INCR', KEYS[9])
            if rate > 0 then
              redis.call('ZADD', KEYS[7], now, id .. ':' .. string.format('%d', now))
            end
          end
        end
        local function within_rate()
          if rate <= 0 then return true end
          redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', string.format('(%d', now - 60000))
          return redis.call('ZCARD', KEYS[7]) < rate
        end
        local function client_over()
          if perClient <= 0 then return false end
          local n = redis.call('INCR', KEYS[8])
          if n == 1 then redis.call('PEXPIRE', KEYS[8], 120000) end
          if n > perClient then return tonumber(ARGV[13]) end
          return false
        end

        if mode == 2 then
          -- passthrough: the room is off; everyone is counted as active, nobody waits.
          local fresh = not redis.call('ZSCORE', KEYS[1], id) and redis.call('ZREM', KEYS[2], id) == 0
          if redis.call('ZREM', KEYS[3], id) == 1 then redis.call('ZREM', KEYS[4], id) end
          activate(fresh)
          if fresh then return {1, 0, 0, 0, 1} end
          return {1, 0, 0, 0}
        end

        local bumped = false
        local last = redis.call('ZSCORE', KEYS[1], id)
        if last then
          local over = now - tonumber(last) > tonumber(ARGV[4])
          if not over and sessionMax > 0 then
            local since = redis.call('ZSCORE', KEYS[6], id)
            over = since ~= false and now - tonumber(since) > sessionMax
          end
          if not over and mode ~= 3 then
            redis.call('ZADD', KEYS[1], now, id)
            return {1, 0, 0, 0}
          end
          redis.call('ZREM', KEYS[1], id)
          redis.call('ZREM', KEYS[6], id)
          bumped = not over
        end
        local released = redis.call('ZSCORE', KEYS[2], id)
        if released then
          redis.call('ZREM', KEYS[2], id)
          if now - tonumber(released) <= tonumber(ARGV[5]) then
            if mode ~= 3 then
              activate(false)
              return {1, 0, 0, 0}
            end
            bumped = true
          end
        end
        local rank = redis.call('ZRANK', KEYS[3], id)
        if rank then
          local seen = redis.call('ZSCORE', KEYS[4], id)
          if (not seen) or now - tonumber(seen) > tonumber(ARGV[6]) then
            redis.call('ZREM', KEYS[3], id)
            redis.call('ZREM', KEYS[4], id)
            rank = false
          end
        end
        local used = redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])
        if rank then
          if rank == 0 and used < max and mode ~= 3 and mode ~= 1 and within_rate() then
            redis.call('ZREM', KEYS[3], id)
            redis.call('ZREM', KEYS[4], id)
            activate(true)
            return {1, 0, redis.call('ZCARD', KEYS[3]), 0, 1}
          end
          redis.call('ZADD', KEYS[4], now, id)
          return {3, rank + 1, redis.call('ZCARD', KEYS[3]), 0}
        end
        local length = redis.call('ZCARD', KEYS[3])
        if length == 0 and used < max and mode ~= 3 and within_rate() then
          local limited = (not bumped) and client_over()
          if limited then return {5, 0, length, limited} end
          activate(true)
          return {1, 0, 0, 0, 1}
        end
        if mode == 4 and not bumped then
          return {4, 0, length, 0}
        end
        if not bumped then
          local limited = client_over()
          if limited then return {5, 0, length, limited} end
        end
        local score
        if shuffle then
          score = tonumber(ARGV[9])
        elseif bumped then
          score = redis.call('INCR', KEYS[5]) - 2251799813685248
        else
          score = redis.call('INCR', KEYS[5]) + 1125899906842624
        end
        redis.call('ZADD', KEYS[3], score, id)
        redis.call('ZADD', KEYS[4], now, id)
        return {3, redis.call('ZRANK', KEYS[3], id) + 1, length + 1, 0}
        """;

    /// <summary>
    /// A status poll: reports the state and keeps a queued visitor's place by refreshing its last-seen.
    /// KEYS: 1 active, 2 released, 3 queue, 4 seen, 5 since.
    /// ARGV: 1 visitor id, 2 now (ms), 3 active TTL (ms), 4 admission window (ms), 5 queue TTL (ms), 6 session max (ms, 0 = none).
    /// Returns {state, position, queueLength}; state 0 unknown, 1 active, 2 released, 3 queued.
    /// Never admits and never enqueues; O(log N).
    /// </summary>
    private const string StatusScript = """
        local id = ARGV[1]
        local now = tonumber(ARGV[2])
        local length = redis.call('ZCARD', KEYS[3])
        local last = redis.call('ZSCORE', KEYS[1], id)
        if last and now - tonumber(last) <= tonumber(ARGV[3]) then
          local sessionMax = tonumber(ARGV[6])
          local since = sessionMax > 0 and redis.call('ZSCORE', KEYS[5], id)
          if not (since and now - tonumber(since) > sessionMax) then
            return {1, 0, length}
          end
        end
        local released = redis.call('ZSCORE', KEYS[2], id)
        if released and now - tonumber(released) <= tonumber(ARGV[4]) then
          return {2, 0, length}
        end
        local rank = redis.call('ZRANK', KEYS[3], id)
        if rank then
          local seen = redis.call('ZSCORE', KEYS[4], id)
          if seen and now - tonumber(seen) <= tonumber(ARGV[5]) then
            redis.call('ZADD', KEYS[4], now, id)
            return {3, rank + 1, length}
          end
        end
        return {0, 0, length}
        """;

    /// <summary>
    /// One promotion round.
    /// KEYS: 1 active, 2 released, 3 queue, 4 seen, 5 promoted total, 6 since, 7 admits.
    /// ARGV: 1 now (ms), 2 max active, 3 active TTL (ms), 4 admission window (ms), 5 queue TTL (ms), 6 limit,
    /// 7 mode (as in the admission script), 8 new users per minute (0 = no cap), 9 session max (ms, 0 = none),
    /// 10 a random seed in [0, 2^31) for the draws of random mode (Redis' math.random is seeded by it).
    /// Returns {expiredActive, expiredReleased, abandoned, promoted, promotedTotal, hasMore}.
    /// Atomic, so any number of instances may run it at the same moment: each sees the capacity and
    /// the minute's admissions the previous one left, and the head of the queue is popped exactly
    /// once. Random mode draws a uniformly random rank for every free place (ZRANGE rank rank), so
    /// everyone waiting has the same chance each time, however long it has waited. Cost
    /// O((M + 1) log N) for M visitors moved, M bounded by the limit per kind.
    /// </summary>
    private const string PromoteScript = """
        local now = tonumber(ARGV[1])
        local max = tonumber(ARGV[2])
        local limit = tonumber(ARGV[6])
        local mode = tonumber(ARGV[7])
        local rate = tonumber(ARGV[8])
        local sessionMax = tonumber(ARGV[9])
        local idle = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', string.format('(%d', now - tonumber(ARGV[3])), 'LIMIT', 0, limit)
        for i = 1, #idle do
          redis.call('ZREM', KEYS[1], idle[i])
          redis.call('ZREM', KEYS[6], idle[i])
        end
        local expiredActive = #idle
        local ended = {}
        if sessionMax > 0 then
          ended = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', string.format('(%d', now - sessionMax), 'LIMIT', 0, limit)
          for i = 1, #ended do
            expiredActive = expiredActive + redis.call('ZREM', KEYS[1], ended[i])
            redis.call('ZREM', KEYS[6], ended[i])
          end
        end
        local expiredReleased = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('(%d', now - tonumber(ARGV[4])))
        local stale = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', string.format('(%d', now - tonumber(ARGV[5])), 'LIMIT', 0, limit)
        for i = 1, #stale do
          redis.call('ZREM', KEYS[3], stale[i])
          redis.call('ZREM', KEYS[4], stale[i])
        end
        local free = 0
        if mode == 2 then
          free = limit + 1
        elseif mode ~= 3 then
          free = max - redis.call('ZCARD', KEYS[1]) - redis.call('ZCARD', KEYS[2])
          if free > 0 and rate > 0 then
            redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', string.format('(%d', now - 60000))
            free = math.min(free, rate - redis.call('ZCARD', KEYS[7]))
          end
        end
        local chosen = {}
        if free > 0 and mode == 1 then
          -- random: a fresh draw for every free place, among everyone waiting now
          math.randomseed(tonumber(ARGV[10]))
          for i = 1, math.min(free, limit) do
            local waiting = redis.call('ZCARD', KEYS[3])
            if waiting == 0 then break end
            local rank = math.random(waiting) - 1
            local pick = redis.call('ZRANGE', KEYS[3], rank, rank)
            redis.call('ZREM', KEYS[3], pick[1])
            chosen[#chosen + 1] = pick[1]
          end
        elseif free > 0 then
          local head = redis.call('ZPOPMIN', KEYS[3], math.min(free, limit))
          for i = 1, #head, 2 do
            chosen[#chosen + 1] = head[i]
          end
        end
        local promoted = #chosen
        for i = 1, promoted do
          redis.call('ZADD', KEYS[2], now, chosen[i])
          redis.call('ZREM', KEYS[4], chosen[i])
          if rate > 0 and mode ~= 2 then
            redis.call('ZADD', KEYS[7], now, chosen[i] .. ':' .. string.format('%d', now))
          end
        end
        local total = redis.call('INCRBY', KEYS[5], promoted)
        local more = 0
        if #idle >= limit or #ended >= limit or #stale >= limit or (promoted >= limit and free > promoted) then
          more = 1
        end
        return {expiredActive, expiredReleased, #stale, promoted, total, more}
        """;

    /// <summary>
    /// The origin ended a visitor's session (WR-Command: release).
    /// KEYS: 1 active, 2 since. ARGV: 1 visitor id. Returns 1 when the visitor was active, else 0.
    /// </summary>
    private const string ReleaseScript = """
        redis.call('ZREM', KEYS[2], ARGV[1])
        return redis.call('ZREM', KEYS[1], ARGV[1])
        """;

    /// <summary>
    /// Last-seen refresh of a batch of visitors admitted from an instance's local admission cache.
    /// KEYS: 1 active, 2 since. ARGV: 1 now (ms), 2 active TTL (ms), 3 session max (ms, 0 = none), 4.. visitor ids.
    /// A visitor still active (within the TTL and the session cap) gets last-seen = now, exactly
    /// as its request would have done through the admission script; the others are returned and
    /// left as they are (the promotion round expires them). Never adds anyone to the active set.
    /// </summary>
    private const string TouchScript = """
        local now = tonumber(ARGV[1])
        local ttl = tonumber(ARGV[2])
        local sessionMax = tonumber(ARGV[3])
        local gone = {}
        for i = 4, #ARGV do
          local id = ARGV[i]
          local last = redis.call('ZSCORE', KEYS[1], id)
          local live = last and now - tonumber(last) <= ttl
          if live and sessionMax > 0 then
            local since = redis.call('ZSCORE', KEYS[2], id)
            live = not (since and now - tonumber(since) > sessionMax)
          end
          if live then
            redis.call('ZADD', KEYS[1], now, id)
          else
            gone[#gone + 1] = id
          end
        end
        return gone
        """;

    /// <summary>
    /// KEYS: 1 active, 2 released, 3 queue, 4 promoted total, 5 admitted total.
    /// Returns {active, released, queued, promotedTotal, admittedTotal}: one script so the numbers are from the same instant.
    /// </summary>
    private const string CountsScript = """
        return {redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]),
          tonumber(redis.call('GET', KEYS[4]) or '0'), tonumber(redis.call('GET', KEYS[5]) or '0')}
        """;

    /// <summary>
    /// Admin reset: empties the queue. KEYS: 1 queue, 2 seen. Returns the number of waiters removed.
    /// UNLINK frees a long queue in the background, so Redis is not held while a million entries go.
    /// </summary>
    private const string ResetScript = """
        local n = redis.call('ZCARD', KEYS[1])
        redis.call('UNLINK', KEYS[1], KEYS[2])
        return n
        """;

    /// <summary>
    /// Compare-and-set of a shared document. KEYS: 1 document. ARGV: 1 the text expected now ('' = none), 2 the new text.
    /// Returns 1 when stored, 0 when the document changed meanwhile (the caller reads it again).
    /// </summary>
    private const string SetDocumentScript = """
        if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[1], ARGV[2])
        return 1
        """;

    /// <summary>
    /// KEYS: 1 secret. ARGV: 1 candidate. Stores the candidate when no secret exists and returns
    /// the stored one, so every instance signs with the first instance's key.
    /// </summary>
    private const string SecretScript = """
        redis.call('SET', KEYS[1], ARGV[1], 'NX')
        return redis.call('GET', KEYS[1])
        """;
}
