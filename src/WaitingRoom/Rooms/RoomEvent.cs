using WaitingRoom.Queue;

namespace WaitingRoom.Rooms;

/// <summary>
/// A scheduled event of a room (a sale, a ticket drop): from <see cref="Start"/> to <see cref="End"/>
/// the event's settings replace the room's; from <see cref="PrequeueStart"/> to the start everyone
/// who arrives waits, and with <see cref="ShuffleAtStart"/> they get random places (a fair draw
/// instead of rewarding whoever pressed reload first). Settings left null are the room's own.
/// </summary>
public sealed class RoomEvent
{
    public DateTimeOffset Start { get; set; }

    public DateTimeOffset End { get; set; }

    /// <summary>When arrivals start to wait for the event; null = no pre-queue.</summary>
    public DateTimeOffset? PrequeueStart { get; set; }

    /// <summary>Visitors who arrive in the pre-queue get random places at the start.</summary>
    public bool ShuffleAtStart { get; set; }

    public int? MaxActive { get; set; }

    public int? NewUsersPerMinute { get; set; }

    public QueueMode? QueueMode { get; set; }

    public TimeSpan? SessionMax { get; set; }

    /// <summary>Heading of the queue page during the pre-queue and the event.</summary>
    public string? Title { get; set; }

    /// <summary>Operator's message on the queue page during the pre-queue and the event.</summary>
    public string? Message { get; set; }
}
