using System.Collections.Concurrent;

namespace WaitingRoom.Queue;

/// <summary>One <see cref="PromotionRateEstimator"/> per room: each room is released at its own pace.</summary>
internal sealed class PromotionRates
{
    private readonly ConcurrentDictionary<string, PromotionRateEstimator> _rooms = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public PromotionRates(TimeProvider time)
    {
        _time = time;
    }

    public PromotionRateEstimator For(string room) => _rooms.GetOrAdd(room, static (_, time) => new PromotionRateEstimator(time), _time);
}
