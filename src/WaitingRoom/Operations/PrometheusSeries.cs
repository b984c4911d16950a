namespace WaitingRoom.Operations;

/// <summary>
/// The running state of one labelled series, updated lock-free from concurrent measurement
/// callbacks: whole numbers in a <see cref="long"/> (exact), others in a <see cref="double"/>, and a
/// histogram's per-bucket counts (the exposition makes them cumulative).
/// </summary>
internal sealed class PrometheusSeries
{
    private readonly long[] _buckets;
    private long _integer;
    private double _real;

    public PrometheusSeries(string labels, int buckets)
    {
        Labels = labels;
        _buckets = new long[buckets];
    }

    /// <summary>The series' labels as written between the braces, sorted by name; empty without tags.</summary>
    public string Labels { get; }

    /// <summary>Adds to a whole-number sum (counter, up-down counter, histogram sum).</summary>
    public void Add(long value) => Interlocked.Add(ref _integer, value);

    /// <summary>Adds to a floating-point sum with a compare-and-swap loop, so no update is lost.</summary>
    public void Add(double value)
    {
        var current = Volatile.Read(ref _real);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref _real, current + value, current);
            if (BitConverter.DoubleToInt64Bits(seen) == BitConverter.DoubleToInt64Bits(current))
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Replaces the value (gauges and observed values).</summary>
    public void Set(long value) => Interlocked.Exchange(ref _integer, value);

    /// <summary>Replaces the value (gauges and observed values).</summary>
    public void Set(double value) => Interlocked.Exchange(ref _real, value);

    /// <summary>Counts one histogram measurement in its (non-cumulative) bucket.</summary>
    public void AddToBucket(int bucket) => Interlocked.Increment(ref _buckets[bucket]);

    /// <summary>The measurements counted in one bucket so far.</summary>
    public long BucketCount(int bucket) => Volatile.Read(ref _buckets[bucket]);

    /// <summary>The value (a histogram's sum) as the exposition writes it.</summary>
    public string Value(bool floating) =>
        floating ? PrometheusFormat.Number(Volatile.Read(ref _real)) : PrometheusFormat.Number(Volatile.Read(ref _integer));
}
