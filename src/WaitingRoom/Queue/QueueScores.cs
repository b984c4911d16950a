using System.Security.Cryptography;

namespace WaitingRoom.Queue;

/// <summary>
/// The scores of the queue's sorted set, shared by both stores so they order the line alike:
/// visitors pushed back into the queue by queue-all first (in the order they were pushed back),
/// then random draws (a shuffled pre-queue), then tickets in arrival order. A draw
/// is therefore always ahead of every later ticket, and a pre-queue shuffled by draws is ahead
/// of everyone who arrives after the event starts.
/// </summary>
internal static class QueueScores
{
    /// <summary>2^50: draws are in [0, 2^50), tickets start here. Every score stays an exact double (below 2^53).</summary>
    public const long TicketBase = 1L << 50;

    /// <summary>-2^51: visitors pushed back by queue-all get ticket - 2^51, below every draw.</summary>
    public const long PushedBackBase = -(1L << 51);

    /// <summary>A uniformly random draw in [0, 2^50), from the system's cryptographic generator.</summary>
    public static long RandomDraw() => RandomNumberGenerator.GetInt32(1 << 25) * (1L << 25) + RandomNumberGenerator.GetInt32(1 << 25);
}
