namespace WaitingRoom.Analytics;

/// <summary>
/// The fixed, log-spaced buckets of the time-in-queue and time-on-site histograms: bucket 0 is
/// [0, 1 s), bucket i ≥ 1 is [2^((i-1)/3), 2^(i/3)) seconds (each 26 % wider than the one before),
/// the last one open-ended from 2^(62/3) s ≈ 16.6 days. Every instance and the store use the same
/// bounds, so merging two histograms is adding their counts, field by field.
/// </summary>
/// <remarks>
/// Hand-written rather than HdrHistogram: its thousands of sub-buckets per histogram would not fit a
/// per-minute Redis hash that HINCRBY merges; 64 coarse buckets, only the non-empty ones stored, do.
/// </remarks>
public static class DurationBuckets
{
    /// <summary>Buckets per histogram.</summary>
    public const int Count = 64;

    /// <summary>Buckets per doubling of the duration.</summary>
    private const double PerDoubling = 3;

    /// <summary>The bucket of a duration in milliseconds (negative counts as 0).</summary>
    public static int IndexOf(long milliseconds)
    {
        if (milliseconds < 1000)
        {
            return 0;
        }

        var index = (int)Math.Floor(PerDoubling * Math.Log2(milliseconds / 1000.0)) + 1;
        return Math.Min(index, Count - 1);
    }

    /// <summary>The lower bound of bucket <paramref name="index"/>, in seconds.</summary>
    public static double LowerSeconds(int index) => index == 0 ? 0 : Math.Pow(2, (index - 1) / PerDoubling);

    /// <summary>The upper bound of bucket <paramref name="index"/>, in seconds.</summary>
    public static double UpperSeconds(int index) => Math.Pow(2, index / PerDoubling);

    /// <summary>
    /// The <paramref name="quantile"/> (0..1] of a histogram, in seconds (one decimal): the middle of
    /// the bucket that holds the rank (the geometric middle above 1 s), so within one bucket's width
    /// of the true value. 0 for an empty histogram.
    /// </summary>
    public static double Quantile(ReadOnlySpan<long> counts, double quantile)
    {
        long total = 0;
        foreach (var count in counts)
        {
            total += count;
        }

        if (total == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                var middle = i == 0 ? 0.5 : Math.Pow(2, (i - 0.5) / PerDoubling);
                return Math.Round(middle, 1);
            }
        }

        return Math.Round(UpperSeconds(counts.Length - 1), 1);
    }
}
