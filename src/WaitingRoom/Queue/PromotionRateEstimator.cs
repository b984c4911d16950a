namespace WaitingRoom.Queue;

/// <summary>
/// Estimates the wait of a queued visitor from the promotion rate measured over the last minutes
/// (the room's promoted total, which every instance sees). No data → no estimate: the page says
/// "calculating…" rather than make a number up.
/// </summary>
internal sealed class PromotionRateEstimator
{
    private static readonly TimeSpan s_window = TimeSpan.FromMinutes(5);
    private readonly TimeProvider _time;
    private readonly Queue<(long At, long Total)> _samples = new();
    private readonly Lock _lock = new();

    public PromotionRateEstimator(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>Records the room's promoted total as seen now.</summary>
    public void Record(long promotedTotal)
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            _samples.Enqueue((now, promotedTotal));
            while (_samples.Count > 2 && _time.GetElapsedTime(_samples.Peek().At, now) > s_window)
            {
                _samples.Dequeue();
            }
        }
    }

    /// <summary>Visitors promoted per second over the window, or null without enough data.</summary>
    public double? RatePerSecond()
    {
        lock (_lock)
        {
            if (_samples.Count < 2)
            {
                return null;
            }

            var first = _samples.Peek();
            var last = _samples.Last();
            var seconds = _time.GetElapsedTime(first.At, last.At).TotalSeconds;
            var promoted = last.Total - first.Total;
            return seconds <= 0 || promoted <= 0 ? null : promoted / seconds;
        }
    }

    /// <summary>Visitors promoted per minute over the window; 0 without enough data (metrics and the admin API).</summary>
    public double RatePerMinute() => (RatePerSecond() ?? 0) * 60;

    /// <summary>Seconds until a visitor at <paramref name="position"/> is released, or null when unknown.</summary>
    public long? EstimateSeconds(long position)
    {
        var rate = RatePerSecond();
        return rate is null || position <= 0 ? null : (long)Math.Ceiling(position / rate.Value);
    }
}
