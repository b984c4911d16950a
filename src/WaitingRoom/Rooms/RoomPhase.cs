namespace WaitingRoom.Rooms;

/// <summary>Where a room stands relative to its scheduled event.</summary>
public enum RoomPhase
{
    /// <summary>No event, or before its pre-queue, or after its end: the room's own settings apply.</summary>
    Normal = 0,

    /// <summary>Between the event's pre-queue start and its start: everyone waits.</summary>
    Prequeue = 1,

    /// <summary>Between the event's start and end: the event's settings apply.</summary>
    Event = 2,
}
