using System.Security.Cryptography;

namespace WaitingRoom.Queue;

/// <summary>
/// The order of the queue, shared by both stores so they order the line alike: visitors pushed
/// back into the queue by queue-all first (in the order they were pushed back), then random draws
/// (a shuffled pre-queue), then tickets in arrival order. A draw is therefore always ahead of
/// every later ticket, and a pre-queue shuffled by draws is ahead of everyone who arrives after
/// the event starts.
/// </summary>
/// <remarks>
/// In Redis a waiter's score is <c>2^50 + order × 256 + g</c>: the order above, and in the low
/// 8 bits the generation of its last poll modulo 256 (see <see cref="GenerationWidth"/>). The order
/// dominates, so the rank is the order's; tickets score from 2^50, draws in [0, 2^50) and the
/// pushed back below 0, as before generations existed; |score| stays below 2^53, an exact double.
/// A generation's poll log holds orders, so a ticket's entry is a small integer. The in-memory
/// store keeps an exact last poll instead and scores by the order alone.
/// </remarks>
internal static class QueueScores
{
    /// <summary>-2^43: visitors pushed back by queue-all get ticket - 2^43, below every draw (tickets stay below 2^42).</summary>
    public const long PushedBackBase = -(1L << 43);

    /// <summary>-2^42: draws are in [-2^42, 0), between the pushed back and the tickets, which start at 1.</summary>
    public const long DrawBase = -(1L << 42);

    /// <summary>2^50: the Redis score of order 0, generation 0.</summary>
    public const long RedisScoreBase = 1L << 50;

    /// <summary>A uniformly random draw in [-2^42, 0), from the system's cryptographic generator.</summary>
    public static long RandomDraw() => DrawBase + (RandomNumberGenerator.GetInt32(1 << 21) * (1L << 21)) + RandomNumberGenerator.GetInt32(1 << 21);

    /// <summary>
    /// How long one generation of polls lasts in Redis (milliseconds): half the queue TTL. A waiter
    /// that stops polling is dropped when its last generation has ended and the TTL has passed
    /// since, so between TTL and TTL + this after its last poll; at most three generations' poll
    /// logs are kept, about one small log entry per waiter each.
    /// </summary>
    public static long GenerationWidth(TimeSpan queueTtl) => Math.Max(1, (long)queueTtl.TotalMilliseconds / 2);
}
