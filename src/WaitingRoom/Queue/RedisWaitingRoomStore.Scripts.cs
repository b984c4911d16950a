namespace WaitingRoom.Queue;

internal sealed partial class RedisWaitingRoomStore
{
    /// <summary>
    /// The admission decision for one request.
    /// KEYS: 1 active, 2 released, 3 queue, 4 seen, 5 ticket.
    /// ARGV: 1 visitor id, 2 now (ms), 3 max active, 4 active TTL (ms), 5 admission window (ms), 6 queue TTL (ms).
    /// Returns {state, position, queueLength}; state 1 = active, 3 = queued.
    /// Atomic because Redis runs a script alone: the capacity it counts cannot change before it
    /// admits, so no two instances can both take the last slot, and a newcomer is only admitted
    /// when the queue is empty (nobody waits ahead). Every command is O(log N) or O(1).
    /// </summary>
    private const string AdmitScript = """
        local id = ARGV[1]
        local now = tonumber(ARGV[2])
        local max = tonumber(ARGV[3])
        local last = redis.call('ZSCORE', KEYS[1], id)
        if last then
          if now - tonumber(last) <= tonumber(ARGV[4]) then
            redis.call('ZADD', KEYS[1], now, id)
            return {1, 0, 0}
          end
          redis.call('ZREM', KEYS[1], id)
        end
        local released = redis.call('ZSCORE', KEYS[2], id)
        if released then
          redis.call('ZREM', KEYS[2], id)
          if now - tonumber(released) <= tonumber(ARGV[5]) then
            redis.call('ZADD', KEYS[1], now, id)
            return {1, 0, 0}
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
          if rank == 0 and used < max then
            redis.call('ZREM', KEYS[3], id)
            redis.call('ZREM', KEYS[4], id)
            redis.call('ZADD', KEYS[1], now, id)
            return {1, 0, redis.call('ZCARD', KEYS[3])}
          end
          redis.call('ZADD', KEYS[4], now, id)
          return {3, rank + 1, redis.call('ZCARD', KEYS[3])}
        end
        local length = redis.call('ZCARD', KEYS[3])
        if length == 0 and used < max then
          redis.call('ZADD', KEYS[1], now, id)
          return {1, 0, 0}
        end
        local ticket = redis.call('INCR', KEYS[5])
        redis.call('ZADD', KEYS[3], ticket, id)
        redis.call('ZADD', KEYS[4], now, id)
        return {3, length + 1, length + 1}
        """;

    /// <summary>
    /// A status poll: reports the state and keeps a queued visitor's place by refreshing its last-seen.
    /// KEYS: 1 active, 2 released, 3 queue, 4 seen.
    /// ARGV: 1 visitor id, 2 now (ms), 3 active TTL (ms), 4 admission window (ms), 5 queue TTL (ms).
    /// Returns {state, position, queueLength}; state 0 unknown, 1 active, 2 released, 3 queued.
    /// Never admits and never enqueues; O(log N).
    /// </summary>
    private const string StatusScript = """
        local id = ARGV[1]
        local now = tonumber(ARGV[2])
        local length = redis.call('ZCARD', KEYS[3])
        local last = redis.call('ZSCORE', KEYS[1], id)
        if last and now - tonumber(last) <= tonumber(ARGV[3]) then
          return {1, 0, length}
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
    /// KEYS: 1 active, 2 released, 3 queue, 4 seen, 5 promoted total.
    /// ARGV: 1 now (ms), 2 max active, 3 active TTL (ms), 4 admission window (ms), 5 queue TTL (ms), 6 limit.
    /// Returns {expiredActive, expiredReleased, abandoned, promoted, promotedTotal, hasMore}.
    /// Atomic, so any number of instances may run it at the same moment: each sees the capacity the
    /// previous one left, and the head of the queue is popped exactly once. Cost O((M + 1) log N) for
    /// M visitors moved, M bounded by the limit.
    /// </summary>
    private const string PromoteScript = """
        local now = tonumber(ARGV[1])
        local max = tonumber(ARGV[2])
        local limit = tonumber(ARGV[6])
        local expiredActive = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('(%d', now - tonumber(ARGV[3])))
        local expiredReleased = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('(%d', now - tonumber(ARGV[4])))
        local stale = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', string.format('(%d', now - tonumber(ARGV[5])), 'LIMIT', 0, limit)
        for i = 1, #stale do
          redis.call('ZREM', KEYS[3], stale[i])
          redis.call('ZREM', KEYS[4], stale[i])
        end
        local free = max - redis.call('ZCARD', KEYS[1]) - redis.call('ZCARD', KEYS[2])
        local promoted = 0
        if free > 0 then
          local head = redis.call('ZPOPMIN', KEYS[3], math.min(free, limit))
          for i = 1, #head, 2 do
            redis.call('ZADD', KEYS[2], now, head[i])
            redis.call('ZREM', KEYS[4], head[i])
            promoted = promoted + 1
          end
        end
        local total = redis.call('INCRBY', KEYS[5], promoted)
        local more = 0
        if #stale >= limit or (promoted >= limit and free > promoted) then
          more = 1
        end
        return {expiredActive, expiredReleased, #stale, promoted, total, more}
        """;

    /// <summary>
    /// KEYS: 1 active, 2 released, 3 queue, 4 promoted total. Returns {active, released, queued, promotedTotal}.
    /// One script so the four numbers are from the same instant.
    /// </summary>
    private const string CountsScript = """
        return {redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]), tonumber(redis.call('GET', KEYS[4]) or '0')}
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
