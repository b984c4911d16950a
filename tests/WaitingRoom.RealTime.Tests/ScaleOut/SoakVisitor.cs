namespace WaitingRoom.Tests.ScaleOut;

/// <summary>How a simulated visitor behaves.</summary>
internal enum SoakVisitorKind
{
    /// <summary>Polls until admitted, browses a few pages, then stops (its slot expires idle).</summary>
    Patient,

    /// <summary>Polls a few times, then stops while still queued (it loses its place after the queue TTL).</summary>
    Quitter,

    /// <summary>Polls until released, then never comes (the release expires after the admission window).</summary>
    NoShow,
}

/// <summary>
/// One simulated visitor of the soak and what it observed. Times are seconds since the load
/// started, taken on the client: "sent" before a request left, "received" after its answer came.
/// </summary>
internal sealed class SoakVisitor(int number, SoakRoom room, SoakVisitorKind kind)
{
    private readonly List<string> _anomalies = [];

    public int Number { get; } = number;

    public SoakRoom Room { get; } = room;

    public SoakVisitorKind Kind { get; } = kind;

    public string? Token { get; set; }

    /// <summary>The visitor id the store keeps: the token's part before the dot.</summary>
    public string? Id => Token?.Split('.')[0];

    public double ArrivalSent { get; set; }

    public double ArrivalReceived { get; set; }

    /// <summary>The arrival was answered "queued".</summary>
    public bool QueuedOnArrival { get; set; }

    /// <summary>The arrival was forwarded to the backend straight away.</summary>
    public bool AdmittedOnArrival { get; set; }

    /// <summary>When the first answer that showed it admitted (forwarded, or a poll saying released/active) was received; null if never.</summary>
    public double? FirstAdmitted { get; set; }

    /// <summary>It reached the backend (directly, or by claiming its release).</summary>
    public bool ReachedBackend { get; set; }

    /// <summary>When the last request answered "queued" was sent; -1 if none.</summary>
    public double LastQueuedSent { get; set; } = -1;

    /// <summary>The longest time from sending one request to receiving the answer of the next, while queued.</summary>
    public double LongestGap { get; set; }

    /// <summary>Times its position went up between two consecutive polls.</summary>
    public int PositionRises { get; set; }

    /// <summary>The load ended while it was still going.</summary>
    public bool CutOff { get; set; }

    public IReadOnlyList<string> Anomalies => _anomalies;

    public void Anomaly(string what)
    {
        lock (_anomalies)
        {
            _anomalies.Add($"visitor {Number} ({Kind}, room {Room.Name}): {what}");
        }
    }

    /// <summary>
    /// Kept polling until its turn: it was queued, was not a quitter, and never went longer than
    /// <paramref name="queueTtl"/> between sending one request and the answer of the next, so the
    /// store heard from it within the queue TTL all along.
    /// </summary>
    public bool KeptPolling(double queueTtl) => QueuedOnArrival && Kind != SoakVisitorKind.Quitter && LongestGap < queueTtl;
}

/// <summary>A room of the soak: its name, path prefix, capacity, and how many visitors arrive in each burst.</summary>
internal sealed record SoakRoom(string Name, string Path, int Capacity, int Burst)
{
    public string Page(int visitor) => $"{Path.TrimEnd('/')}/page/{visitor}";

    public string Status => $"/_wr/status?room={Name}";
}
