using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Assertion;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;

namespace WaitingRoom.Bench;

/// <summary>
/// <c>assertion-cost</c>: the product's own <see cref="AdmissionAssertions"/> on one thread, without
/// HTTP: the cost of one signature (a new admission, or a renewal) and of a request whose assertion
/// is cached (the usual case), in microseconds per call, with the in-memory store for the keys.
/// </summary>
internal static class AssertionCostCommand
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var count = (int)args.Number("count", 20_000);
        var options = Options.Create(new WaitingRoomOptions { AdmissionHeader = true, Secret = "bench-secret-0123456789abcdef" });
        var store = new InMemoryWaitingRoomStore(TimeProvider.System);
        var ring = new AdmissionKeyRing(store, TimeProvider.System, options, NullLogger<AdmissionKeyRing>.Instance);
        await ring.RefreshAsync(CancellationToken.None);
        var assertions = new AdmissionAssertions(ring, new VisitorTokenSigner(options, store), TimeProvider.System, options, NullLogger<AdmissionAssertions>.Instance);
        var policy = new RoomPolicy(RoomPolicy.DefaultName, 1000, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60));
        var admittedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var visitors = Enumerable.Range(0, count).Select(i => $"visitor-{i:D16}").ToArray();

        // Warm-up of both paths, then each measured over `count` calls.
        for (var i = 0; i < 2000; i++)
        {
            assertions.For(policy, "warm-" + i, admittedAt);
            assertions.For(policy, "warm-0", admittedAt);
        }

        var signed = Measure(() =>
        {
            foreach (var visitor in visitors)
            {
                assertions.For(policy, visitor, admittedAt);
            }
        });
        var cached = Measure(() =>
        {
            for (var round = 0; round < 10; round++)
            {
                foreach (var visitor in visitors)
                {
                    assertions.For(policy, visitor, admittedAt);
                }
            }
        });
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            calls = count,
            signUs = signed * 1e6 / count,
            cachedUs = cached * 1e6 / (count * 10),
            signatures = assertions.Signatures,
            tokenBytes = assertions.For(policy, visitors[0], admittedAt)!.Length,
        }));
        return 0;
    }

    private static double Measure(Action work)
    {
        var started = Stopwatch.GetTimestamp();
        work();
        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
