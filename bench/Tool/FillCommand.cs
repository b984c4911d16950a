using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;

namespace WaitingRoom.Bench;

/// <summary>
/// <c>fill</c>: admits M + N new visitors through <see cref="RedisWaitingRoomStore.AdmitAsync"/>
/// (many calls in flight, as a crowd of proxies would) under a FIFO policy with --max places
/// (default M), so the first M become active and the other N queue. Optionally writes K cookie
/// values (made with the product's signer and WR_SECRET) of active visitors, of queued ones spread
/// evenly over the line from place --from on (default 1), or of queued ones picked at random.
/// </summary>
/// <remarks>
/// With --bulk (for crowds of millions: the client side of an admission costs more than Redis'),
/// the queued visitors that are not sampled are written by one Lua script per 20,000 in the
/// product's own layout, exactly what its admit script writes for a newcomer far from the head (one
/// queue entry: score 2^50 + ticket × 256 + the open generation, its ticket from the room's counter;
/// no poll-log entry, ids as long as a visitor's), while the first --from - 1 newcomers (the near
/// zone) and the sampled ones are admitted through the store in line with them, so every ticket
/// and place is where admissions one by one would have put it. Sampling is then by newcomer: every
/// step-th from the --from-th on.
/// Prints {"active","queued","seconds","admitsPerSecond","tokens","positions"}. Without --add the
/// room must start empty and fill fails unless it then holds exactly M active and N queued; with
/// --add it adds to what is there (a room whose proxy promotes meanwhile: nothing is checked but
/// the admissions themselves).
/// </remarks>
internal static class FillCommand
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var active = (int)args.Number("active");
        var queued = args.Number("queued");
        var tokens = (int)args.Number("tokens", 0);
        var sample = args.OptionalText("sample") ?? "queued";
        var from = args.Number("from", 1);
        var concurrency = (int)args.Number("concurrency", 256);
        var add = args.Flag("add");
        var max = (int)args.Number("max", active);
        var sampled = sample switch { "queued" => queued - from + 1, "random" => queued, _ => active };
        if (active < 0 || max < 1 || queued < 0 || tokens < 0 || from < 1 || tokens > sampled || sample is not ("queued" or "random" or "active"))
        {
            await Console.Error.WriteLineAsync("fill: need --active >= 0, --max >= 1, --queued >= 0, --from >= 1, --sample queued|random|active and --tokens no larger than the sampled group");
            return 64;
        }

        using var room = BenchRoom.Open(args, max, TimeSpan.FromSeconds(args.Number("ttl", 3600)));
        var signer = new VisitorTokenSigner(Options.Create(new WaitingRoomOptions { Secret = args.Text("secret") }), room.Store);
        var before = await room.Store.GetCountsAsync(room.Policy, CancellationToken.None);

        // Queued visitors are sampled by their place in line (1-based, final: nobody leaves while
        // filling), every step-th place from --from, so the sample covers head, middle and tail;
        // or, in a room that moves while it fills, each queued newcomer with the same chance.
        var step = sample == "queued" && tokens > 0 ? Math.Max(1, (queued - from + 1) / tokens) : 0;
        var chance = sample == "random" && queued > 0 ? (double)tokens / queued : 0;
        var picked = new List<(long Position, string Token)>(tokens);
        var pickedLock = new Lock();

        var started = Stopwatch.GetTimestamp();
        if (args.Flag("bulk"))
        {
            if (sample != "queued")
            {
                await Console.Error.WriteLineAsync("fill: --bulk samples queued visitors only (--sample queued)");
                return 64;
            }

            await BulkAsync(room, signer, active, queued, from, step, tokens, concurrency, picked);
        }
        else
        {
            await Parallel.ForEachAsync(
                LongRange(active + queued),
                new ParallelOptions { MaxDegreeOfParallelism = concurrency },
                async (_, cancellationToken) =>
                {
                    var (visitorId, token) = signer.Issue();
                    var result = await room.Store.AdmitAsync(room.Policy, visitorId, clientKey: null, cancellationToken);
                    var keep = sample switch
                    {
                        "active" => result.State == VisitorState.Active,
                        "random" => result.State == VisitorState.Queued && Random.Shared.NextDouble() < chance,
                        _ => result.State == VisitorState.Queued && step > 0 && result.Position >= from
                            && (result.Position - from) % step == 0 && (result.Position - from) / step < tokens,
                    };
                    if (keep)
                    {
                        lock (pickedLock)
                        {
                            if (picked.Count < tokens)
                            {
                                picked.Add((result.Position, token));
                            }
                        }
                    }
                });
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        var counts = await room.Store.GetCountsAsync(room.Policy, CancellationToken.None);
        if (args.OptionalText("out") is { } path)
        {
            picked.Sort((a, b) => a.Position.CompareTo(b.Position));
            await File.WriteAllLinesAsync(path, picked.Select(p => p.Token));
        }

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            active = counts.Active,
            released = counts.Released,
            queued = counts.Queued,
            queuedBefore = before.Queued,
            seconds = Math.Round(seconds, 3),
            admitsPerSecond = Math.Round((active + queued) / seconds),
            tokens = picked.Count,
            sample,
            firstPosition = picked.Count > 0 ? picked.Min(p => p.Position) : 0,
            lastPosition = picked.Count > 0 ? picked.Max(p => p.Position) : 0,
        }));

        if (!add && (counts.Active != before.Active + active || counts.Queued != before.Queued + queued || (sample != "random" && picked.Count != tokens)))
        {
            await Console.Error.WriteLineAsync($"fill: expected {before.Active + active} active, {before.Queued + queued} queued and {tokens} tokens; got {counts.Active}, {counts.Queued} and {picked.Count} (did the room's proxy promote meanwhile?)");
            return 1;
        }

        return 0;
    }

    // One queue entry per far newcomer, in the open generation, tickets from the room's counter (see the remarks).
    private const string BulkScript = RedisWaitingRoomStore.GenerationFunctions + """
        local count, now, width, tag = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
        local n = open_generation(KEYS[2], now, width)
        local last = redis.call('INCRBY', KEYS[3], count)
        local batch = {}
        for order = last - count + 1, last do
          batch[#batch + 1] = string.format('%d', BASE + order * GEN + n % GEN)
          batch[#batch + 1] = tag .. string.format('%012d', order)
          if #batch >= 1000 then
            redis.call('ZADD', KEYS[1], unpack(batch))
            batch = {}
          end
        end
        if #batch > 0 then redis.call('ZADD', KEYS[1], unpack(batch)) end
        return last
        """;

    private static async Task BulkAsync(BenchRoom room, VisitorTokenSigner signer, int active, long queued, long from, long step, int tokens, int concurrency, List<(long Position, string Token)> picked)
    {
        var database = room.Connection.GetDatabase();
        var tag = "bulk" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3)); // 10 chars + 12 digits: 22, a visitor id's length
        var width = QueueScores.GenerationWidth(room.Policy.QueueTtl);
        async Task InsertAsync(long count)
        {
            for (var left = count; left > 0; left -= 20_000)
            {
                await database.ScriptEvaluateAsync(BulkScript,
                    [room.Keys.Queue, room.Keys.Generations, room.Keys.Ticket],
                    [Math.Min(left, 20_000), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), width, tag]);
            }
        }

        async Task AdmitManyAsync(long count) => await Parallel.ForEachAsync(LongRange(count), new ParallelOptions { MaxDegreeOfParallelism = concurrency },
            async (_, cancellationToken) => await room.Store.AdmitAsync(room.Policy, signer.Issue().VisitorId, clientKey: null, cancellationToken));

        await AdmitManyAsync(active + Math.Min(from - 1, queued));
        var done = Math.Min(from - 1, queued); // newcomers so far
        for (var i = 0; i < tokens; i++)
        {
            var index = from + (i * step); // 1-based newcomer index of the i-th sampled waiter
            await InsertAsync(index - 1 - done);
            var (visitorId, token) = signer.Issue();
            var result = await room.Store.AdmitAsync(room.Policy, visitorId, clientKey: null, CancellationToken.None);
            picked.Add((result.Position, token));
            done = index;
        }

        await InsertAsync(queued - done);
    }

    private static IEnumerable<long> LongRange(long count)
    {
        for (long i = 0; i < count; i++)
        {
            yield return i;
        }
    }
}
