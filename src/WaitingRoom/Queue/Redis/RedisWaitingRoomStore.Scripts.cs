namespace WaitingRoom.Queue;

internal sealed partial class RedisWaitingRoomStore
{
    /// <summary>
    /// The test of an active visitor, shared by the admission, status and touch scripts (placed before
    /// each): last seen within the active TTL and, with a session cap, admitted less than the cap ago.
    /// </summary>
    private const string ActiveFunctions = """
        local function still_active(since_key, id, last, now, ttl, sessionMax)
          if now - tonumber(last) > ttl then return false end
          if sessionMax <= 0 then return true end
          local since = redis.call('ZSCORE', since_key, id)
          return not (since and now - tonumber(since) > sessionMax)
        end

        """;

    /// <summary>
    /// The adaptive capacity in force, shared by the admission and promotion scripts (placed before
    /// each, called only for an adaptive room): the stored capacity (HASH field <c>cap</c>) within
    /// [min, max], min before any is stored, and 0 while the room holds (field <c>hold</c>). Read in
    /// the same script as the decision, so every instance admits against the same number. O(1).
    /// </summary>
    private const string CapacityFunctions = """
        local function capacity_of(key, max, min)
          local c = redis.call('HMGET', key, 'cap', 'hold')
          if c[2] == '1' then return 0 end
          return math.min(max, math.max(min, tonumber(c[1]) or min))
        end

        """;

    /// <summary>
    /// The generations of polls, shared by the admission, status and promotion scripts (placed
    /// before each). A waiter's queue score is <c>2^50 + order × 256 + g</c> (see <see cref="QueueScores"/>),
    /// g = the generation of its last poll mod 256. The generations hash holds <c>cur</c> (the latest
    /// generation), <c>next</c> (the oldest not yet swept) and, under g, the end (ms) of each
    /// generation from next to cur. A generation lasts the width its opener was given (half the
    /// queue TTL), so every poll assigned to it happened before its end, and a waiter whose
    /// generation ended a TTL ago or more has not polled for a TTL: it is stale. The poll log (one
    /// list, a declared key of every script that uses it) holds <c>order × 256 + g</c> (the score
    /// less 2^50) of every waiter that moved into a generation, appended when it moved. Only the
    /// latest generation is ever appended to and it never goes back, so the log is in generation
    /// order: the promotion sweeps its head while the head's generation is stale, dropping a waiter
    /// only while its score is still that entry's. The live generations are fewer than 256, so an
    /// entry's g names one of them. Every function is O(1) or O(log N).
    /// </summary>
    internal const string GenerationFunctions = """
        local GEN = 256
        local BASE = 1125899906842624 -- QueueScores.RedisScoreBase, 2^50: the score of order 0, generation 0

        -- The order of a queue score (its g is score % GEN).
        local function order_of(score)
          return (score - BASE - score % GEN) / GEN
        end

        -- The generation open at now: the latest while it lasts (cut short to now + width when a shorter
        -- width applies now), else a new one. When all 256 values of g are still in use (the sweep is far
        -- behind) the latest lasts longer instead, so a g always names one generation.
        local function open_generation(gens, now, width)
          local state = redis.call('HMGET', gens, 'cur', 'next')
          local cur, nxt = tonumber(state[1]), tonumber(state[2])
          if cur then
            local ends = tonumber(redis.call('HGET', gens, cur % GEN))
            if ends and now < ends then
              if ends > now + width then redis.call('HSET', gens, cur % GEN, now + width) end
              return cur
            end
            if ends and nxt and cur + 1 - nxt >= GEN then
              redis.call('HSET', gens, cur % GEN, now + width)
              return cur
            end
          end
          local n = (cur or -1) + 1
          redis.call('HSET', gens, 'cur', n, n % GEN, now + width)
          if not nxt then redis.call('HSET', gens, 'next', n) end
          return n
        end

        -- Where the waiter with this queue score stands: 'current' (polled in the generation open now),
        -- 'stale' (its generation ended ttl or more ago), 'earlier' (an older generation, within the TTL),
        -- or 'unknown' (no record of its generation: counted as seen now, so a lost record drops nobody).
        -- A waiter beyond the near mark is never stale: its polls are answered by the instances and write nothing.
        local function poll_state(gens, score, now, ttl)
          local g = score % GEN
          local state = redis.call('HMGET', gens, 'cur', g, 'near')
          local cur, ends = tonumber(state[1]), tonumber(state[2])
          if not cur or not ends then return 'unknown' end
          if ends + ttl <= now then
            if order_of(score) > (tonumber(state[3]) or 0) then return 'earlier' end
            return 'stale'
          end
          if g == cur % GEN and now < ends then return 'current' end
          return 'earlier'
        end

        -- Puts the waiter (its order) into the generation open now: its score's g and an entry in the poll log.
        -- g = the generation value its score carries now (false for a newcomer or an unknown record):
        -- nothing is written when it is that generation's already.
        local function move_to_open_generation(queue, gens, log, id, order, g, now, width)
          local n = open_generation(gens, now, width)
          if g == n % GEN then return end
          local entry = order * GEN + n % GEN
          redis.call('ZADD', queue, BASE + entry, id)
          redis.call('RPUSH', log, string.format('%d', entry))
        end

        -- Drops waiters that stopped polling: the head of the poll log while its generation ended ttl or more
        -- ago, at most limit entries. An entry drops the waiter with its exact score only while that waiter
        -- still has it (it has not polled since); an entry whose generation has no record (the record was
        -- lost) is discarded, as such a waiter counts as seen now, and so is an entry beyond the near mark
        -- (see stamp_near: such a waiter is judged once the head comes near). A stale generation whose
        -- entries are all read is forgotten. Also cuts the latest generation short when a shorter width
        -- applies now. Returns the number dropped and whether the limit stopped it.
        local function sweep(queue, gens, log, now, ttl, width, limit)
          local state = redis.call('HMGET', gens, 'cur', 'next', 'near')
          local cur, n = tonumber(state[1]), tonumber(state[2])
          local near = tonumber(state[3]) or 0
          if not cur then return 0, false end
          local latest = tonumber(redis.call('HGET', gens, cur % GEN))
          if latest and latest > now + width then redis.call('HSET', gens, cur % GEN, now + width) end
          local dropped, read, i = 0, false, 1
          n = n or cur
          while n <= cur do
            local g = n % GEN
            local ends = tonumber(redis.call('HGET', gens, g))
            if ends and ends + ttl > now then break end
            if not read then read = redis.call('LRANGE', log, 0, limit - 1) end
            while i <= #read do
              local entry = tonumber(read[i])
              if entry % GEN == g then
                if (entry - g) / GEN <= near then
                  local score = BASE + entry
                  local who = redis.call('ZRANGEBYSCORE', queue, score, score, 'LIMIT', 0, 1)
                  if who[1] then
                    redis.call('ZREM', queue, who[1])
                    dropped = dropped + 1
                  end
                end
              elseif redis.call('HEXISTS', gens, entry % GEN) == 1 then
                break -- a later generation's: generation n has no more entries
              end
              i = i + 1
            end
            if i > #read and #read == limit then
              redis.call('LTRIM', log, limit, -1)
              if redis.call('EXISTS', log) == 1 then return dropped, true end
              read, i = {}, 1
            end
            redis.call('HDEL', gens, g)
            n = n + 1
            redis.call('HSET', gens, 'next', n)
          end
          if i > 1 then redis.call('LTRIM', log, i - 1, -1) end
          return dropped, false
        end

        -- Liveness near the head. A waiter beyond the near mark (generations field 'near', an order) polls
        -- the instances, which answer from their snapshot without Redis, so its polls write nothing. As the
        -- head comes within zone places of it, it is moved into the open generation once, here, as if it had
        -- polled, and the mark moves past it: from then on the instances send its polls to Redis and it is
        -- dropped a queue TTL after it stops. The work is the waiters entering the zone: about the promotion
        -- rate, whatever the queue's length. At most limit; returns the number moved and whether the limit stopped it.
        local function stamp_near(queue, gens, log, now, width, zone, limit)
          local near = tonumber(redis.call('HGET', gens, 'near')) or 0
          local bound = BASE + near * GEN + GEN - 1
          local k = math.min(limit, zone - redis.call('ZCOUNT', queue, '-inf', string.format('%d', bound)))
          if k <= 0 then return 0, false end
          local entries = redis.call('ZRANGEBYSCORE', queue, string.format('(%d', bound), '+inf', 'WITHSCORES', 'LIMIT', 0, k)
          local count = #entries / 2
          if count == 0 then return 0, false end
          local n = open_generation(gens, now, width)
          local scores, logged = {}, {}
          local order
          for i = 1, #entries, 2 do
            local score = tonumber(entries[i + 1])
            order = order_of(score)
            -- Logged even when the score's g is already n's: a far waiter's g may be a value long since
            -- reused by a newer generation, and only this entry lets the sweep judge it from now on.
            local entry = order * GEN + n % GEN
            if score % GEN ~= n % GEN then
              scores[#scores + 1] = string.format('%d', BASE + entry)
              scores[#scores + 1] = entries[i]
            end
            logged[#logged + 1] = string.format('%d', entry)
            if #logged >= 500 or i + 1 >= #entries then
              if #scores > 0 then redis.call('ZADD', queue, unpack(scores)) end
              redis.call('RPUSH', log, unpack(logged))
              scores, logged = {}, {}
            end
          end
          redis.call('HSET', gens, 'near', string.format('%d', order))
          return count, count == limit
        end

        """;

    /// <summary>
    /// Analytics (WaitingRoom.Analytics): the ticket clock, shared by the admission and promotion scripts
    /// (placed after <see cref="GenerationFunctions"/>). A ZSET of samples, score = the ticket counter,
    /// member = <c>ticket:ms</c>: each promotion round adds one when the counter moved since the last,
    /// so a waiter's ticket k was taken at or before the time of the first sample with a ticket ≥ k
    /// (its join time, late by less than one promotion interval). Samples below the oldest regular ticket
    /// still queued are removed, and at most 20,000 are kept. Every function is O(log M), M samples.
    /// </summary>
    private const string AnalyticsFunctions = """
        -- analytics {
        local PUSHED_BACK = 8796093022208 -- QueueScores.PushedBackBase, 2^43
        local DRAW_SPAN = 4398046511104 -- 2^42: draws of a shuffled pre-queue are in [-2^42, 0)

        -- The ticket of a queue order: itself, or a pushed-back order's; false for a draw (no ticket).
        local function ticket_of(order)
          if order >= 1 then return order end
          if order < -DRAW_SPAN then return order + PUSHED_BACK end
          return false
        end

        -- The time in queue (ms) of the waiter with this queue score, leaving the line at now; -1 when unknown.
        local function waited(clock, score, now)
          local ticket = ticket_of(order_of(score))
          if not ticket then return -1 end
          local hi = redis.call('ZRANGEBYSCORE', clock, ticket, '+inf', 'LIMIT', 0, 1)
          if not hi[1] then return 0 end -- taken since the last sample: less than one interval ago
          local joined = tonumber(string.sub(hi[1], string.find(hi[1], ':', 1, true) + 1))
          return math.max(0, now - joined)
        end

        local function clock_sample(clock, ticket_key, now)
          local t = tonumber(redis.call('GET', ticket_key) or '0')
          local last = redis.call('ZREVRANGE', clock, 0, 0, 'WITHSCORES')
          if t == 0 or (last[2] and tonumber(last[2]) >= t) then return end
          redis.call('ZADD', clock, t, string.format('%d:%d', t, now))
          if redis.call('ZCARD', clock) > 20000 then redis.call('ZREMRANGEBYRANK', clock, 0, 0) end
        end

        local function clock_trim(clock, queue, ticket_key)
          local first = redis.call('ZRANGEBYSCORE', queue, BASE + GEN, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
          local floor = first[2] and order_of(tonumber(first[2])) or (tonumber(redis.call('GET', ticket_key) or '0') + 1)
          redis.call('ZREMRANGEBYSCORE', clock, '-inf', string.format('(%d', floor))
        end
        -- analytics }

        """;

    /// <summary>
    /// The admission decision for one request.
    /// KEYS: 1 active, 2 released, 3 queue, 4 generations, 5 ticket, 6 since, 7 admits, 8 the client's counter of this minute, 9 admitted total,
    /// 10 poll log, 11 adaptive capacity, 12 ticket clock (analytics).
    /// ARGV: 1 visitor id, 2 now (ms), 3 max active, 4 active TTL (ms), 5 admission window (ms),
    /// 6 queue TTL (ms), 7 mode (0 fifo, 1 random, 2 passthrough, 3 queue-all, 4 reject),
    /// 8 shuffle arrivals (0/1), 9 a random draw (an order in [-2^42, 0)), 10 new users per minute (0 = no cap),
    /// 11 session max (ms, 0 = none), 12 new entries per client per minute (0 = no cap), 13 ms until this minute ends,
    /// 14 generation width (ms), 15 adaptive (1: max active is the adaptive capacity's upper bound, see
    /// <see cref="CapacityFunctions"/>), 16 its lower bound, 17 known only (1: a newcomer, who is not active, released,
    /// queued or pushed back, is answered unknown and takes nothing: it has to show a proof of work first).
    /// Returns {state, position, queueLength, retryAfterMs, admitted, admittedAt, waited, joined, order}; state 0 unknown (known only), 1 active,
    /// 3 queued, 4 rejected, 5 limited, 6 full (ARGV 18, the queue-size cap: 0 = none; ARGV 19 is the near zone); order a waiter's order in the line; admitted 1 when a new slot was taken straight away (counted in the admitted total);
    /// admittedAt (active only) the session's start in the since set, which tells one admission from the next;
    /// analytics: waited the time in queue (ms) of a waiter admitted at the head (-1 else), joined 1 when a newcomer took a new place.
    /// Atomic because Redis runs a script alone: the capacity and the minute's admissions it counts
    /// cannot change before it admits, so no two instances can both take the last slot or the last
    /// admission of the minute, and a newcomer is only admitted when nobody waits ahead.
    /// Queue orders: visitors pushed back by queue-all [-2^43, -2^42), draws of a shuffled pre-queue
    /// [-2^42, 0), tickets in arrival order from 1: a draw is always ahead of later tickets. A queued
    /// visitor whose last poll is stale is treated as gone; one that polls moves to the generation
    /// open now (see <see cref="GenerationFunctions"/>). In random mode the head is not admitted
    /// directly: the promotion's draw decides. Every command is O(log N) or O(1) (the minute's
    /// admissions are at most the rate cap).
    /// </summary>
    private const string AdmitScript = ActiveFunctions + GenerationFunctions + CapacityFunctions + CodeFunctions + AnalyticsFunctions + """
        local id = ARGV[1]
        local now = tonumber(ARGV[2])
        local max = tonumber(ARGV[3])
        if ARGV[15] == '1' then max = capacity_of(KEYS[11], max, tonumber(ARGV[16])) end
        local mode = tonumber(ARGV[7])
        local shuffle = ARGV[8] == '1'
        local rate = tonumber(ARGV[10])
        local sessionMax = tonumber(ARGV[11])
        local perClient = tonumber(ARGV[12])
        local width = tonumber(ARGV[14])

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
        -- One ZSCORE (O(1)): the session's start, kept by activate with NX.
        local function admitted_at()
          return tonumber(redis.call('ZSCORE', KEYS[6], id)) or now
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
          redis.call('ZREM', KEYS[3], id)
          activate(fresh)
          return {1, 0, 0, 0, fresh and 1 or 0, admitted_at()}
        end

        local bumped = false
        local last = redis.call('ZSCORE', KEYS[1], id)
        if last then
          local over = not still_active(KEYS[6], id, last, now, tonumber(ARGV[4]), sessionMax)
          if not over and mode ~= 3 then
            redis.call('ZADD', KEYS[1], now, id)
            return {1, 0, 0, 0, 0, admitted_at()}
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
              return {1, 0, 0, 0, 0, admitted_at()}
            end
            bumped = true
          end
        end
        local rank = false
        local score = redis.call('ZSCORE', KEYS[3], id)
        local polled
        if score then
          score = tonumber(score)
          polled = poll_state(KEYS[4], score, now, tonumber(ARGV[6]))
          if polled == 'stale' then
            redis.call('ZREM', KEYS[3], id)
          else
            rank = redis.call('ZRANK', KEYS[3], id)
          end
        end
        local used = redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])
        if rank then
          if rank == 0 and used < max and mode ~= 3 and mode ~= 1 and within_rate() then
            redis.call('ZREM', KEYS[3], id)
            activate(true)
            return {1, 0, redis.call('ZCARD', KEYS[3]), 0, 1, admitted_at(), waited(KEYS[12], score, now)} -- analytics: waited
          end
          if polled ~= 'current' then
            move_to_open_generation(KEYS[3], KEYS[4], KEYS[10], id, order_of(score), polled ~= 'unknown' and score % GEN, now, width)
          end
          -- Access codes: the position counts the visitor's own line (see CodeFunctions).
          return {3, rank + 1 - lanes_ahead(KEYS[3], order_of(score)), redis.call('ZCARD', KEYS[3]), 0, 0, 0, -1, 0, order_of(score)}
        end
        if ARGV[17] == '1' and not bumped then
          return {0, 0, redis.call('ZCARD', KEYS[3]), 0}
        end
        local length = redis.call('ZCARD', KEYS[3])
        if length == 0 and used < max and mode ~= 3 and within_rate() then
          local limited = (not bumped) and client_over()
          if limited then return {5, 0, length, limited} end
          activate(true)
          return {1, 0, 0, 0, 1, admitted_at()}
        end
        if mode == 4 and not bumped then
          return {4, 0, length, 0}
        end
        -- >>> WR_MAX_QUEUE (queue-size cap): ARGV[18] = the cap, 0 = none. A newcomer past it takes no place and
        -- no per-client count (state 6, full); waiters and visitors pushed back keep theirs. ZCARD is O(1) and in
        -- this script, so arrivals at once on any number of instances never take the queue past the cap.
        local maxQueue = tonumber(ARGV[18]) or 0
        if maxQueue > 0 and not bumped and length >= maxQueue then
          return {6, 0, length, 0}
        end
        -- <<< WR_MAX_QUEUE
        if not bumped then
          local limited = client_over()
          if limited then return {5, 0, length, limited} end
        end
        local order
        if shuffle then
          order = tonumber(ARGV[9])
        elseif bumped then
          order = redis.call('INCR', KEYS[5]) - 8796093022208 -- QueueScores.PushedBackBase, -2^43
        else
          order = redis.call('INCR', KEYS[5])
        end
        local n = open_generation(KEYS[4], now, width)
        local entry = order * GEN + n % GEN
        redis.call('ZADD', KEYS[3], BASE + entry, id)
        local rank = redis.call('ZRANK', KEYS[3], id)
        -- A newcomer within the near zone right behind the mark (a short line) is judged by Redis from the start,
        -- as if stamped near (see stamp_near); orders below 1 always are. Only those are logged: a newcomer further
        -- back is logged when it is stamped near, so a long line's waiters cost no log entry until then.
        local near = order < 1
        if not near and rank < tonumber(ARGV[19]) then
          local mark = tonumber(redis.call('HGET', KEYS[4], 'near')) or 0
          if redis.call('ZCOUNT', KEYS[3], '-inf', string.format('%d', BASE + mark * GEN + GEN - 1)) == rank then
            redis.call('HSET', KEYS[4], 'near', string.format('%d', order))
            near = true
          end
        end
        if near then redis.call('RPUSH', KEYS[10], string.format('%d', entry)) end
        -- Access codes: the position counts the visitor's own line (see CodeFunctions).
        return {3, rank + 1 - lanes_ahead(KEYS[3], order), length + 1, 0, 0, 0, -1, bumped and 0 or 1, order} -- analytics: joined
        """;

    /// <summary>
    /// A status poll: reports the state and keeps a queued visitor's place by moving it to the
    /// generation open now (written only once per generation; a stale waiter is unknown).
    /// KEYS: 1 active, 2 released, 3 queue, 4 generations, 5 since, 6 poll log.
    /// ARGV: 1 visitor id, 2 now (ms), 3 active TTL (ms), 4 admission window (ms), 5 queue TTL (ms), 6 session max (ms, 0 = none),
    /// 7 generation width (ms).
    /// Returns {state, position, queueLength} and for a waiter also {0, 0, 0, -1, 0, order} (as the admission script); state 0 unknown, 1 active, 2 released, 3 queued.
    /// Never admits and never enqueues; O(log N).
    /// </summary>
    private const string StatusScript = ActiveFunctions + GenerationFunctions + CodeFunctions + """
        local id = ARGV[1]
        local now = tonumber(ARGV[2])
        local length = redis.call('ZCARD', KEYS[3])
        local last = redis.call('ZSCORE', KEYS[1], id)
        if last and still_active(KEYS[5], id, last, now, tonumber(ARGV[3]), tonumber(ARGV[6])) then
          return {1, 0, length}
        end
        local released = redis.call('ZSCORE', KEYS[2], id)
        if released and now - tonumber(released) <= tonumber(ARGV[4]) then
          return {2, 0, length}
        end
        local score = redis.call('ZSCORE', KEYS[3], id)
        if score then
          score = tonumber(score)
          local polled = poll_state(KEYS[4], score, now, tonumber(ARGV[5]))
          if polled ~= 'stale' then
            if polled ~= 'current' then
              move_to_open_generation(KEYS[3], KEYS[4], KEYS[6], id, order_of(score), polled ~= 'unknown' and score % GEN, now, tonumber(ARGV[7]))
            end
            -- Access codes: the position counts the visitor's own line (see CodeFunctions). The order goes to the place cookie.
            return {3, redis.call('ZRANK', KEYS[3], id) + 1 - lanes_ahead(KEYS[3], order_of(score)), length, 0, 0, 0, -1, 0, order_of(score)}
          end
        end
        return {0, 0, length}
        """;

    /// <summary>
    /// One promotion round.
    /// KEYS: 1 active, 2 released, 3 queue, 4 generations, 5 promoted total, 6 since, 7 admits, 8 poll log, 9 adaptive capacity,
    /// 10 ticket clock, 11 ticket (analytics, see <see cref="AnalyticsFunctions"/>).
    /// ARGV: 1 now (ms), 2 max active, 3 active TTL (ms), 4 admission window (ms), 5 queue TTL (ms), 6 limit,
    /// 7 mode (as in the admission script), 8 new users per minute (0 = no cap), 9 session max (ms, 0 = none),
    /// 10 a random seed in [0, 2^31) for the draws of random mode (Redis' math.random is seeded by it),
    /// 11 generation width (ms), 12 adaptive (as in the admission script), 13 its lower bound,
    /// 14 the near zone (waiters at the head whose liveness Redis judges, see stamp_near; random mode judges everyone).
    /// Returns {expiredActive, expiredReleased, abandoned, promoted, promotedTotal, hasMore, waits, sessions}; analytics:
    /// waits the time in queue (ms) of each waiter released with a known join time, sessions the time on site (ms,
    /// last seen less admitted at) of each active visitor expired.
    /// Atomic, so any number of instances may run it at the same moment: each sees the capacity and
    /// the minute's admissions the previous one left, and the head of the queue is popped exactly
    /// once. Random mode draws a uniformly random rank for every free place (ZRANGE rank rank), so
    /// everyone waiting has the same chance each time, however long it has waited. Cost
    /// O((M + 1) log N) for M visitors moved or poll log entries swept, M bounded by the limit per kind.
    /// </summary>
    private const string PromoteScript = GenerationFunctions + CapacityFunctions + CodeFunctions + AnalyticsFunctions + """
        local now = tonumber(ARGV[1])
        local max = tonumber(ARGV[2])
        if ARGV[12] == '1' then max = capacity_of(KEYS[9], max, tonumber(ARGV[13])) end
        local limit = tonumber(ARGV[6])
        local mode = tonumber(ARGV[7])
        local rate = tonumber(ARGV[8])
        local sessionMax = tonumber(ARGV[9])
        -- analytics {
        clock_sample(KEYS[10], KEYS[11], now)
        local waits, sessions = {}, {}
        local function session_of(id)
          local last, since = redis.call('ZSCORE', KEYS[1], id), redis.call('ZSCORE', KEYS[6], id)
          if last and since then sessions[#sessions + 1] = math.max(0, tonumber(last) - tonumber(since)) end
        end
        -- analytics }
        local idle = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', string.format('(%d', now - tonumber(ARGV[3])), 'LIMIT', 0, limit)
        for i = 1, #idle do
          session_of(idle[i]) -- analytics
          redis.call('ZREM', KEYS[1], idle[i])
          redis.call('ZREM', KEYS[6], idle[i])
        end
        local expiredActive = #idle
        local ended = {}
        if sessionMax > 0 then
          ended = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', string.format('(%d', now - sessionMax), 'LIMIT', 0, limit)
          for i = 1, #ended do
            session_of(ended[i]) -- analytics
            expiredActive = expiredActive + redis.call('ZREM', KEYS[1], ended[i])
            redis.call('ZREM', KEYS[6], ended[i])
          end
        end
        local expiredReleased = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('(%d', now - tonumber(ARGV[4])))
        local abandoned, moreStale = sweep(KEYS[3], KEYS[4], KEYS[8], now, tonumber(ARGV[5]), tonumber(ARGV[11]), limit)
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
          -- Access codes: begin. Code holders are never drawn: their lanes go first, in order.
          local holders = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', string.format('(%d', BASE + LANES_END * GEN), 'LIMIT', 0, math.min(free, limit))
          for i = 1, #holders do
            redis.call('ZREM', KEYS[3], holders[i])
            chosen[#chosen + 1] = holders[i]
          end
          -- Access codes: end.
          -- random: a fresh draw for every free place, among everyone waiting now
          math.randomseed(tonumber(ARGV[10]))
          for i = #chosen + 1, math.min(free, limit) do
            local waiting = redis.call('ZCARD', KEYS[3])
            if waiting == 0 then break end
            local rank = math.random(waiting) - 1
            local pick = redis.call('ZRANGE', KEYS[3], rank, rank)
            local w = waited(KEYS[10], tonumber(redis.call('ZSCORE', KEYS[3], pick[1])), now) -- analytics
            if w >= 0 then waits[#waits + 1] = w end -- analytics
            redis.call('ZREM', KEYS[3], pick[1])
            chosen[#chosen + 1] = pick[1]
          end
        elseif free > 0 then
          local head = redis.call('ZPOPMIN', KEYS[3], math.min(free, limit))
          for i = 1, #head, 2 do
            chosen[#chosen + 1] = head[i]
            local w = waited(KEYS[10], tonumber(head[i + 1]), now) -- analytics
            if w >= 0 then waits[#waits + 1] = w end -- analytics
          end
        end
        local promoted = #chosen
        for i = 1, promoted do
          redis.call('ZADD', KEYS[2], now, chosen[i])
          if rate > 0 and mode ~= 2 then
            redis.call('ZADD', KEYS[7], now, chosen[i] .. ':' .. string.format('%d', now))
          end
        end
        local total = redis.call('INCRBY', KEYS[5], promoted)
        -- Random mode draws from the whole line, so every waiter's liveness counts there: the zone is all of it.
        local zone = mode == 1 and redis.call('ZCARD', KEYS[3]) or tonumber(ARGV[14])
        local _, moreNear = stamp_near(KEYS[3], KEYS[4], KEYS[8], now, tonumber(ARGV[11]), zone, limit)
        local more = 0
        if #idle >= limit or #ended >= limit or moreStale or moreNear or (promoted >= limit and free > promoted) then
          more = 1
        end
        clock_trim(KEYS[10], KEYS[3], KEYS[11]) -- analytics
        return {expiredActive, expiredReleased, abandoned, promoted, total, more, waits, sessions}
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
    private const string TouchScript = ActiveFunctions + """
        local now = tonumber(ARGV[1])
        local ttl = tonumber(ARGV[2])
        local sessionMax = tonumber(ARGV[3])
        local gone = {}
        for i = 4, #ARGV do
          local id = ARGV[i]
          local last = redis.call('ZSCORE', KEYS[1], id)
          if last and still_active(KEYS[2], id, last, now, ttl, sessionMax) then
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
    /// A change of the adaptive capacity by compare-and-set, and its line in the room's recent changes.
    /// KEYS: 1 adaptive capacity (HASH cap, hold, pin, why, at, v), 2 recent changes (LIST, newest last).
    /// ARGV: 1 now (ms), 2 the version expected ('' = any), 3 capacity, 4 hold (0/1),
    /// 5 pinned by ('' = not pinned), 6 reason, 7 minimum gap since the last change (ms), 8 and 9 the
    /// policy's bounds (the capacity before a first change is the lower one), 10 who made it, 11 p95 (s,
    /// '' = none), 12 error share ('' = none), 13 how many changes the list keeps.
    /// Returns {1, version} when stored, {0, version} when the version moved or the last change is
    /// too recent. Atomic, so instances deciding at the same moment make one step between them, and
    /// the list has exactly one line per stored change: "at|from|to|reason|by|p95|errorShare", the
    /// effective capacities (0 while holding). LTRIM keeps the newest ARGV 13 lines: O(1). (RPUSH, not LPUSH:
    /// the ACL the README gives allows the commands the scripts already used.)
    /// </summary>
    private const string SetCapacityScript = """
        local s = redis.call('HMGET', KEYS[1], 'v', 'at', 'cap', 'hold')
        local v = tonumber(s[1]) or 0
        local now = tonumber(ARGV[1])
        if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= v then return {0, v} end
        if s[2] and now - tonumber(s[2]) < tonumber(ARGV[7]) then return {0, v} end
        local min, max = tonumber(ARGV[8]), tonumber(ARGV[9])
        local from = math.min(max, math.max(min, tonumber(s[3]) or min))
        if s[4] == '1' then from = 0 end
        local to = ARGV[3]
        if ARGV[4] == '1' then to = '0' end
        v = v + 1
        redis.call('HSET', KEYS[1], 'cap', ARGV[3], 'hold', ARGV[4], 'pin', ARGV[5], 'why', ARGV[6], 'at', now, 'v', v)
        redis.call('RPUSH', KEYS[2], string.format('%d|%d|%s|%s|%s|%s|%s', now, from, to, ARGV[6], ARGV[10], ARGV[11], ARGV[12]))
        redis.call('LTRIM', KEYS[2], -tonumber(ARGV[13]), -1)
        return {1, v}
        """;

    /// <summary>
    /// The webhooks' record of one subject of a room (see <see cref="IWaitingRoomStore.RecordTransitionAsync"/>).
    /// KEYS: 1 transitions hash. ARGV: 1 subject, 2 state seen, 3 now (ms).
    /// Returns {changed (1/0), the state recorded before or nil}. Atomic, so of the instances that see the same
    /// change only the first records it; one that saw the old state later than the recorded change does not
    /// undo it (its time is older). The hash has one field per subject (three): no expiry needed. O(1).
    /// </summary>
    private const string TransitionScript = """
        local cur = redis.call('HGET', KEYS[1], ARGV[1])
        local now = tonumber(ARGV[3])
        if cur then
          local bar = string.find(cur, '|', 1, true)
          local at, state = tonumber(string.sub(cur, 1, bar - 1)), string.sub(cur, bar + 1)
          if now < at or state == ARGV[2] then
            if now > at then redis.call('HSET', KEYS[1], ARGV[1], now .. '|' .. state) end
            return {0, state}
          end
          redis.call('HSET', KEYS[1], ARGV[1], now .. '|' .. ARGV[2])
          return {1, state}
        end
        redis.call('HSET', KEYS[1], ARGV[1], now .. '|' .. ARGV[2])
        return {1, false}
        """;

    /// <summary>
    /// The instances' windows of an adaptive room's forwarded requests. KEYS: 1 windows (HASH
    /// instance → "at|window"). ARGV: 1 now (ms), 2 this instance, 3 its window, 4 maximum age (ms).
    /// Returns the other instances' windows not older than the maximum age; older ones are removed,
    /// and the hash expires when no instance shares any more.
    /// </summary>
    private const string ShareWindowScript = """
        local now, age = tonumber(ARGV[1]), tonumber(ARGV[4])
        redis.call('HSET', KEYS[1], ARGV[2], now .. '|' .. ARGV[3])
        redis.call('PEXPIRE', KEYS[1], age * 4)
        local all, out = redis.call('HGETALL', KEYS[1]), {}
        for i = 1, #all, 2 do
          local bar = string.find(all[i + 1], '|', 1, true)
          if now - tonumber(string.sub(all[i + 1], 1, bar - 1)) > age then
            redis.call('HDEL', KEYS[1], all[i])
          elseif all[i] ~= ARGV[2] then
            out[#out + 1] = string.sub(all[i + 1], bar + 1)
          end
        end
        return out
        """;

    /// <summary>
    /// Admin reset: empties the queue and removes its generations and poll log, so nothing of the
    /// old line is left. KEYS: 1 queue, 2 generations, 3 poll log.
    /// Returns the number of waiters removed. UNLINK frees a long queue and its log in the
    /// background, so Redis is not held while a million entries go.
    /// </summary>
    /// <summary>
    /// The room's queue snapshot (<see cref="QueueSnapshot"/>). KEYS: 1 queue, 2 generations, 3 ticket.
    /// Returns {queueLength, headTicket, generalAhead, nearMark}. Read only; O(log N).
    /// </summary>
    private const string SnapshotScript = GenerationFunctions + CodeFunctions + """
        local head = redis.call('ZRANGEBYSCORE', KEYS[1], string.format('%d', BASE + GEN), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
        local ticket
        if head[1] then ticket = order_of(tonumber(head[2])) else ticket = (tonumber(redis.call('GET', KEYS[3])) or 0) + 1 end
        local general = redis.call('ZCOUNT', KEYS[1], string.format('%d', BASE + LANES_END * GEN), string.format('(%d', BASE + GEN))
        return {redis.call('ZCARD', KEYS[1]), ticket, general, tonumber(redis.call('HGET', KEYS[2], 'near')) or 0}
        """;

    private const string ResetScript = """
        local n = redis.call('ZCARD', KEYS[1])
        redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3])
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

    /// <summary>
    /// Analytics: adds one instance's batch to a room's minutes. KEYS: 1 the instance's last applied sequence
    /// (STRING, a day's TTL), 2.. one HASH per minute. ARGV: 1 sequence, 2 now (ms), 3 retention (ms), then per
    /// minute key: its start (ms), n adds, m peaks, n pairs field/increment (HINCRBY), m pairs field/value
    /// (kept when higher). Each minute expires its retention after it ends (a minute already past it is
    /// skipped). Returns 1 when applied, 0 when the sequence was applied before (a retry): atomic, so a
    /// batch counts exactly once whatever happened to the answer of an earlier try. O(fields).
    /// </summary>
    private const string AddAnalyticsScript = """
        local seq = tonumber(ARGV[1])
        if seq <= tonumber(redis.call('GET', KEYS[1]) or '0') then return 0 end
        local now, keep = tonumber(ARGV[2]), tonumber(ARGV[3])
        local a = 4
        for k = 2, #KEYS do
          local ttl = tonumber(ARGV[a]) + 60000 + keep - now
          local adds, peaks = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
          a = a + 3
          if ttl > 0 then
            for j = 1, adds do
              redis.call('HINCRBY', KEYS[k], ARGV[a], ARGV[a + 1])
              a = a + 2
            end
            for j = 1, peaks do
              if tonumber(ARGV[a + 1]) > tonumber(redis.call('HGET', KEYS[k], ARGV[a]) or '-1') then
                redis.call('HSET', KEYS[k], ARGV[a], ARGV[a + 1])
              end
              a = a + 2
            end
            redis.call('PEXPIRE', KEYS[k], ttl)
          else
            a = a + 2 * (adds + peaks)
          end
        end
        redis.call('SET', KEYS[1], seq, 'PX', 86400000)
        return 1
        """;

    /// <summary>Analytics: KEYS: the minute hashes to read. Returns each one's HGETALL (empty for a minute without data), in order.</summary>
    private const string GetAnalyticsScript = """
        local out = {}
        for i = 1, #KEYS do out[i] = redis.call('HGETALL', KEYS[i]) end
        return out
        """;
}
