namespace WaitingRoom.Tests.Adaptive;

/// <summary>
/// Measures the reference the adaptive capacity is judged against: the most visitors, browsing with
/// the tests' think time straight at a <see cref="KneeOrigin"/> of K workers (no room in between),
/// that keep the origin's p95 under the target. Measured on this machine rather than computed,
/// because the formula K·(T + Z)/S holds the mean latency at T, not the p95, and a loaded machine
/// adds latency of its own; the curve is steep past the knee, so a few probes pin it to ±K/2.
/// </summary>
internal static class OriginCalibration
{
    private static readonly Dictionary<int, Task<int>> s_references = [];
    private static readonly Lock s_lock = new();

    /// <summary>The reference for <paramref name="workers"/> K, measured once per test run.</summary>
    public static Task<int> ReferenceAsync(int workers, TimeSpan serviceTime, double target, double thinkMin, double thinkMax)
    {
        lock (s_lock)
        {
            if (!s_references.TryGetValue(workers, out var reference) || reference.IsFaulted)
            {
                reference = MeasureAsync(workers, serviceTime, target, thinkMin, thinkMax);
                s_references[workers] = reference;
            }

            return reference;
        }
    }

    private static async Task<int> MeasureAsync(int workers, TimeSpan serviceTime, double target, double thinkMin, double thinkMax)
    {
        await using var origin = await KneeOrigin.StartAsync(workers, serviceTime);
        using var client = new HttpClient { BaseAddress = origin.Address, Timeout = TimeSpan.FromSeconds(30) };

        // Binary search between well under and well over the formula's figure.
        var formula = workers * (target + ((thinkMin + thinkMax) / 2)) / serviceTime.TotalSeconds;
        var low = (int)(formula * 0.5);
        var high = (int)(formula * 1.2);
        while (high - low > Math.Max(1, workers / 2))
        {
            var crowd = (low + high) / 2;
            if (await P95WithAsync(client, origin, crowd, thinkMin, thinkMax) <= target)
            {
                low = crowd;
            }
            else
            {
                high = crowd;
            }
        }

        return low;
    }

    /// <summary>The origin's p95 over 4 s with <paramref name="crowd"/> visitors browsing, after 2 s to settle.</summary>
    private static async Task<double> P95WithAsync(HttpClient client, KneeOrigin origin, int crowd, double thinkMin, double thinkMax)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(6));
        var visitors = Enumerable.Range(0, crowd).Select(i => BrowseAsync(client, new Random(i), thinkMin, thinkMax, stop.Token)).ToList();
        await Task.Delay(TimeSpan.FromSeconds(5.9));
        var p95 = origin.P95Over(TimeSpan.FromSeconds(4)) ?? double.MaxValue;
        await Task.WhenAll(visitors);
        return p95;
    }

    private static async Task BrowseAsync(HttpClient client, Random random, double thinkMin, double thinkMax, CancellationToken stop)
    {
        try
        {
            // A random start spreads the visitors over one think time, as visitors let in one by one are.
            await Task.Delay(TimeSpan.FromSeconds(thinkMax * random.NextDouble()), stop);
            while (true)
            {
                using var response = await client.GetAsync("/page/1", stop);
                await Task.Delay(TimeSpan.FromSeconds(thinkMin + ((thinkMax - thinkMin) * random.NextDouble())), stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The probe is over.
        }
    }
}
