namespace WaitingRoom.Tests.Adaptive;

/// <summary>
/// Measures the reference the adaptive capacity is judged against: the most visitors, browsing with
/// the tests' think time straight at a <see cref="KneeOrigin"/> of K workers (no room in between),
/// that keep the origin's p95 under the target. Measured on this machine rather than computed,
/// because the formula K·(T + Z)/S holds the mean latency at T, not the p95, and a loaded machine
/// adds latency of its own; the curve is steep past the knee, so a few probes pin it to 2 %.
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

        // Binary search around the formula's figure (the reference has been 93–97 % of it), to 2 % of
        // it. A search that ends on a bound it never probed probes it, and searches again beyond it
        // if it fails the assumption, so the range does not decide.
        var formula = workers * (target + ((thinkMin + thinkMax) / 2)) / serviceTime.TotalSeconds;
        var tolerance = Math.Max(1, (int)(formula * 0.02));
        var (low, high) = ((int)(formula * 0.75), (int)(formula * 1.05));
        while (true)
        {
            var (lowest, highest) = (low, high);
            while (high - low > tolerance)
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

            if (low == lowest && lowest > 1 && await P95WithAsync(client, origin, lowest, thinkMin, thinkMax) > target)
            {
                (low, high) = (lowest / 2, lowest);
            }
            else if (high == highest && await P95WithAsync(client, origin, highest, thinkMin, thinkMax) <= target)
            {
                (low, high) = (highest, highest * 2);
            }
            else
            {
                break;
            }
        }

        return low;
    }

    /// <summary>The origin's p95 over 3 s with <paramref name="crowd"/> visitors browsing, after 2 s to settle.</summary>
    private static async Task<double> P95WithAsync(HttpClient client, KneeOrigin origin, int crowd, double thinkMin, double thinkMax)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var visitors = Enumerable.Range(0, crowd).Select(i => BrowseAsync(client, new Random(i), thinkMin, thinkMax, stop.Token)).ToList();
        await Task.Delay(TimeSpan.FromSeconds(4.9));
        var p95 = origin.P95Over(TimeSpan.FromSeconds(3)) ?? double.MaxValue;
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
