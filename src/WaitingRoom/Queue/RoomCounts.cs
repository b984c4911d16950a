namespace WaitingRoom.Queue;

/// <summary>A room's numbers at one instant.</summary>
public readonly record struct RoomCounts(long Active, long Released, long Queued, long PromotedTotal, long AdmittedTotal = 0);
