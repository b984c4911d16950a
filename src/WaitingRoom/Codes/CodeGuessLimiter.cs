using System.Threading.RateLimiting;

namespace WaitingRoom.Codes;

/// <summary>
/// Wrong codes per client address: past <see cref="WrongPerMinute"/> in one clock minute every code attempt from
/// the address gets 429 until the minute ends. ASP.NET Core's partitioned fixed-window limiter, partitioned by the
/// address (as <see cref="Admission.ClientAddress"/> keys it: the IPv4 address or the IPv6 /64) and the clock minute
/// of the room's <see cref="TimeProvider"/>, so the minute is the same on every instance and runs in virtual time
/// in tests (the limiter's own window is real time; a partition whose permits came back is dropped when idle).
/// </summary>
internal sealed class CodeGuessLimiter : IDisposable
{
    public const int WrongPerMinute = 10;

    private readonly TimeProvider _time;
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = WrongPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    public CodeGuessLimiter(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>True while the address may try a code; else the seconds until the minute ends.</summary>
    public bool MayTry(string client, out int retryAfterSeconds)
    {
        var (key, left) = KeyOf(client);
        using var lease = _limiter.AttemptAcquire(key, 0);
        retryAfterSeconds = lease.IsAcquired ? 0 : left;
        return lease.IsAcquired;
    }

    /// <summary>Counts a wrong code; false (and the seconds to wait) when it was one too many.</summary>
    public bool CountWrong(string client, out int retryAfterSeconds)
    {
        var (key, left) = KeyOf(client);
        using var lease = _limiter.AttemptAcquire(key, 1);
        retryAfterSeconds = lease.IsAcquired ? 0 : left;
        return lease.IsAcquired;
    }

    private (string Key, int SecondsLeft) KeyOf(string client)
    {
        var (window, left) = Queue.ClientWindow.Of(_time.GetUtcNow().ToUnixTimeMilliseconds());
        return (client + "|" + window.ToString(System.Globalization.CultureInfo.InvariantCulture), (int)Math.Max(1, Math.Ceiling(left / 1000.0)));
    }

    public void Dispose() => _limiter.Dispose();
}
