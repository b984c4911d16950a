using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;

namespace WaitingRoom.Bench;

/// <summary>
/// <c>fill</c>: admits M + N new visitors through <see cref="RedisWaitingRoomStore.AdmitAsync"/>
/// (many calls in flight, as a crowd of proxies would) under a FIFO policy with M places, so the
/// first M become active and the other N queue. Optionally writes K cookie values (made with the
/// product's signer and WR_SECRET) of queued visitors spread evenly over the line, or of active ones.
/// </summary>
/// <remarks>
/// Prints {"active","queued","seconds","admitsPerSecond","tokens","positions"} and fails when the
/// room does not hold exactly M active and N queued afterwards (it must start empty).
/// </remarks>
internal static class FillCommand
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var active = (int)args.Number("active");
        var queued = args.Number("queued");
        var tokens = (int)args.Number("tokens", 0);
        var sample = args.OptionalText("sample") ?? "queued";
        var concurrency = (int)args.Number("concurrency", 256);
        if (active < 1 || queued < 0 || tokens < 0 || (sample == "queued" ? tokens > queued : tokens > active))
        {
            await Console.Error.WriteLineAsync("fill: need --active >= 1, --queued >= 0 and --tokens no larger than the sampled group");
            return 64;
        }

        using var room = BenchRoom.Open(args, active, TimeSpan.FromSeconds(args.Number("ttl", 3600)));
        var signer = new VisitorTokenSigner(Options.Create(new WaitingRoomOptions { Secret = args.Text("secret") }), room.Store);

        // Queued visitors are sampled by their place in line (1-based, final: nobody leaves while
        // filling), every step-th place from the first, so the sample covers head, middle and tail.
        var step = sample == "queued" && tokens > 0 ? queued / tokens : 0;
        var picked = new List<(long Position, string Token)>(tokens);
        var pickedLock = new Lock();

        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(
            LongRange(active + queued),
            new ParallelOptions { MaxDegreeOfParallelism = concurrency },
            async (_, cancellationToken) =>
            {
                var (visitorId, token) = signer.Issue();
                var result = await room.Store.AdmitAsync(room.Policy, visitorId, clientKey: null, cancellationToken);
                var keep = sample == "active"
                    ? result.State == VisitorState.Active
                    : result.State == VisitorState.Queued && step > 0 && (result.Position - 1) % step == 0 && (result.Position - 1) / step < tokens;
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
            seconds = Math.Round(seconds, 3),
            admitsPerSecond = Math.Round((active + queued) / seconds),
            tokens = picked.Count,
            sample,
            firstPosition = picked.Count > 0 ? picked.Min(p => p.Position) : 0,
            lastPosition = picked.Count > 0 ? picked.Max(p => p.Position) : 0,
        }));

        if (counts.Active != active || counts.Queued != queued || picked.Count != tokens)
        {
            await Console.Error.WriteLineAsync($"fill: expected {active} active, {queued} queued and {tokens} tokens; got {counts.Active}, {counts.Queued} and {picked.Count} (was the room empty?)");
            return 1;
        }

        return 0;
    }

    private static IEnumerable<long> LongRange(long count)
    {
        for (long i = 0; i < count; i++)
        {
            yield return i;
        }
    }
}
