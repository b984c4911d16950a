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

    // Access codes: two lanes ahead of the general line (pushed back, draws, tickets), each in its own arrival
    // order; a lane's score stays above -2^53 (2^50 + (-2^45) x 256 = -7 x 2^50), an exact double.

    /// <summary>-2^45: skip holders get lane ticket - 2^45, ahead of everyone.</summary>
    public const long SkipBase = -(1L << 45);

    /// <summary>-2^44: priority holders get lane ticket - 2^44, behind skip holders, ahead of the general line.</summary>
    public const long PriorityBase = -(1L << 44);

    /// <summary>The general line starts here (the pushed back): an order below it is a code holder's.</summary>
    public const long LanesEnd = PushedBackBase;

    /// <summary>The base of a lane's orders.</summary>
    public static long LaneBase(Codes.CodeLane lane) => lane == Codes.CodeLane.Skip ? SkipBase : PriorityBase;

    /// <summary>The end of a lane's orders (exclusive): an order below it is in that lane or one ahead of it.</summary>
    public static long LaneEnd(Codes.CodeLane lane) => lane == Codes.CodeLane.Skip ? PriorityBase : LanesEnd;

    /// <summary>
    /// Waiters ahead of an order who are in a lane ahead of its own (the general line: both lanes; priority: skip):
    /// not counted in the position it is shown, so a code holder's arrival never moves a shown position up.
    /// </summary>
    public static long LaneEndBefore(long order) => order >= LanesEnd ? LanesEnd : order >= PriorityBase ? PriorityBase : SkipBase;

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

    /// <summary>The near zone at least (see <see cref="RoomPolicy.NearZone"/>): exact positions for the first thousand.</summary>
    public const long MinNearZone = 1000;

    /// <summary>
    /// The near zone at a promotion rate: the waiters released in twice the time a waiter who stopped polling takes
    /// to be dropped once near (the queue TTL and one generation), so it is dropped before it reaches the head even
    /// while the line also moves by the others who leave.
    /// </summary>
    public static long NearZoneFor(double? promotedPerSecond, TimeSpan queueTtl) =>
        promotedPerSecond is > 0 and var rate
            ? Math.Max(MinNearZone, (long)Math.Min(1e12, Math.Ceiling(2 * rate * (queueTtl.TotalSeconds + GenerationWidth(queueTtl) / 1000.0))))
            : MinNearZone;
}
