using System.Diagnostics;
using System.Text.Json;

namespace WaitingRoom.Bench;

/// <summary>
/// <c>watch-capacity</c>: samples the room's active + released (one atomic read through the
/// store's counts script) every ~50 ms for T seconds and reports the largest sum seen and how
/// many samples exceeded the capacity M. Run beside a load test to catch an overrun as it happens.
/// </summary>
internal static class WatchCapacityCommand
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var max = args.Number("max");
        var duration = TimeSpan.FromSeconds(args.Number("seconds"));
        var interval = TimeSpan.FromMilliseconds(args.Number("interval-ms", 50));
        using var room = BenchRoom.Open(args);

        long samples = 0, overruns = 0, maxUsed = 0, maxQueued = 0, failures = 0;
        var started = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                var counts = await room.Store.GetCountsAsync(room.Policy, CancellationToken.None);
                var used = counts.Active + counts.Released;
                samples++;
                maxUsed = Math.Max(maxUsed, used);
                maxQueued = Math.Max(maxQueued, counts.Queued);
                if (used > max)
                {
                    overruns++;
                }
            }
            catch (WaitingRoom.Queue.StoreUnavailableException)
            {
                failures++;
            }
        }
        while (Stopwatch.GetElapsedTime(started) < duration && await timer.WaitForNextTickAsync());

        Console.WriteLine(JsonSerializer.Serialize(new { max, samples, maxUsed, overruns, maxQueued, failures }));
        return failures == 0 ? 0 : 1;
    }
}
