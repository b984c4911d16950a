using System.Diagnostics;
using System.Text.Json;
using StackExchange.Redis;

namespace WaitingRoom.Bench;

/// <summary>
/// <c>wait-released</c>: with <c>--free</c>, first frees every active place at once (one DEL of the
/// room's active and since sets, key names from the product's <see cref="WaitingRoom.Queue.RoomKeys"/>),
/// as if all active visitors left together; then times, from just before that DEL, until the
/// room has released at least N waiters (polled every 5 ms). The proxy's own promotion service
/// does the releasing.
/// </summary>
internal static class WaitReleasedCommand
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var count = args.Number("count");
        var timeout = TimeSpan.FromSeconds(args.Number("timeout", 30));
        using var room = BenchRoom.Open(args);
        var database = room.Connection.GetDatabase();

        var before = await room.Store.GetCountsAsync(room.Policy, CancellationToken.None);
        var started = Stopwatch.GetTimestamp();
        long freed = 0;
        if (args.Flag("free"))
        {
            freed = before.Active;
            await database.KeyDeleteAsync([(RedisKey)room.Keys.Active, (RedisKey)room.Keys.Since]);
        }

        var after = before;
        var polls = 0;
        while (Stopwatch.GetElapsedTime(started) < timeout)
        {
            after = await room.Store.GetCountsAsync(room.Policy, CancellationToken.None);
            polls++;
            if (after.Released >= count)
            {
                break;
            }

            await Task.Delay(5);
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var done = after.Released >= count;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            count,
            freed,
            releasedBefore = before.Released,
            queuedBefore = before.Queued,
            released = after.Released,
            queuedAfter = after.Queued,
            activeAfter = after.Active,
            seconds = done ? Math.Round(seconds, 3) : (double?)null,
            polls,
            timedOut = !done,
        }));
        return done ? 0 : 1;
    }
}
