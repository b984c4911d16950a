namespace WaitingRoom.Queue;

/// <summary>The numbers a store needs to decide for one room.</summary>
/// <param name="Name">Room name; part of every key (the hash tag), so letters, digits, '-' and '_' only.</param>
/// <param name="MaxActive">Capacity: active + released-not-yet-expired never exceeds it.</param>
/// <param name="ActiveTtl">Idle time after which an active visitor's slot frees.</param>
/// <param name="QueueTtl">Time without a poll after which a queued visitor loses its place.</param>
/// <param name="AdmissionWindow">Time a released visitor has to arrive.</param>
public sealed record RoomPolicy(string Name, int MaxActive, TimeSpan ActiveTtl, TimeSpan QueueTtl, TimeSpan AdmissionWindow)
{
    /// <summary>The room every request belongs to until several rooms exist.</summary>
    public const string DefaultName = "default";
}
