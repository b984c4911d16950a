namespace WaitingRoom.Queue;

/// <summary>
/// The numbers a store needs to decide for one room at one instant. A room's settings (and its
/// event, when one runs) are turned into a policy by <see cref="Rooms.RoomSettings.PolicyAt"/>; the
/// store never looks at a clock to decide which settings apply.
/// </summary>
/// <param name="Name">Room name; part of every key (the hash tag), so letters, digits, '-' and '_' only.</param>
/// <param name="MaxActive">Capacity: active + released-not-yet-expired never exceeds it.</param>
/// <param name="ActiveTtl">Idle time after which an active visitor's slot frees.</param>
/// <param name="QueueTtl">Time without a poll after which a queued visitor loses its place.</param>
/// <param name="AdmissionWindow">Time a released visitor has to arrive.</param>
public sealed record RoomPolicy(string Name, int MaxActive, TimeSpan ActiveTtl, TimeSpan QueueTtl, TimeSpan AdmissionWindow)
{
    /// <summary>The room of requests that match no other room; set by the WR_* variables.</summary>
    public const string DefaultName = "default";

    /// <summary>How visitors are let in.</summary>
    public QueueMode Mode { get; init; } = QueueMode.Fifo;

    /// <summary>Newly admitted visitors per rolling minute at most (directly or from the queue); 0 = no cap.</summary>
    public int NewUsersPerMinute { get; init; }

    /// <summary>Absolute cap on one admission, however active the visitor is; zero = none.</summary>
    public TimeSpan SessionMax { get; init; }

    /// <summary>New entries (queue places or slots) one client address may create per minute; 0 = no cap.</summary>
    public int MaxNewPerClientPerMinute { get; init; }

    /// <summary>
    /// Newcomers take a random place instead of the next ticket: in an event's pre-queue with
    /// shuffle-at-start, so the line is shuffled once by the time the event opens. (Random mode is
    /// different: it keeps arrival tickets and draws afresh each time places free up.)
    /// </summary>
    public bool ShuffleArrivals { get; init; }

    /// <summary>
    /// The capacity is the room's adaptive one, stored beside its visitors (see
    /// <see cref="IWaitingRoomStore.TrySetCapacityAsync"/>): the store admits against it, between
    /// <see cref="MinActive"/> and <see cref="MaxActive"/>, and against nobody new while it holds.
    /// </summary>
    public bool Adaptive { get; init; }

    /// <summary>Lower bound of the adaptive capacity (at most <see cref="MaxActive"/>).</summary>
    public int MinActive { get; init; }

    /// <summary>
    /// Waiters at the head of the line whose liveness the store judges (they poll it); those further back are answered
    /// by the instances and cannot be dropped until the head comes this near. The promotion sets it from the promotion
    /// rate (<see cref="QueueScores.NearZoneFor"/>), so a waiter who stopped polling is dropped before it reaches the head.
    /// </summary>
    public long NearZone { get; init; } = QueueScores.MinNearZone;

    /// <summary>Waiters the queue holds at most (WR_MAX_QUEUE); past it a newcomer gets <see cref="VisitorState.Full"/> and no place. 0 = no cap.</summary>
    public int MaxQueue { get; init; }
}
