namespace WaitingRoom.Admission;

/// <summary>What the room decided for one request, for the request log line.</summary>
internal sealed class WaitingRoomRequestFeature
{
    /// <summary>active, queued, bypass, store-down, endpoint, …</summary>
    public string Decision { get; set; } = "none";

    /// <summary>A short prefix of the visitor id; never the token.</summary>
    public string? Visitor { get; set; }

    public string Room { get; set; } = Queue.RoomPolicy.DefaultName;

    /// <summary>The admitted visitor's id, so the origin's <c>WR-Command: release</c> can end its session.</summary>
    public string? VisitorId { get; set; }

    public Queue.RoomPolicy? Policy { get; set; }

    /// <summary>The store's answer when it admitted the request (null when bypassed or forwarded unchecked): what the WR-Admission assertion states.</summary>
    public Queue.AdmissionResult? Admission { get; set; }
}
