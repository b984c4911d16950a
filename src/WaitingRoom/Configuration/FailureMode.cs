namespace WaitingRoom.Configuration;

/// <summary>What the room does while its store cannot be reached (WR_FAILURE_MODE).</summary>
public enum FailureMode
{
    /// <summary>Answer a 503 page with Retry-After; nobody gets in unchecked.</summary>
    Closed,

    /// <summary>Forward every request to the backend, unchecked, and log that it happens.</summary>
    Open,
}
