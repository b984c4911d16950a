namespace WaitingRoom.Queue;

/// <summary>The names of the queue modes, as operators write them (WR_QUEUE_MODE, <c>queueMode</c>) and as the JSON status says them.</summary>
public static class QueueModeNames
{
    /// <summary>Every mode by its name, compared case-insensitively.</summary>
    public static readonly IReadOnlyDictionary<string, QueueMode> ByName = new Dictionary<string, QueueMode>(StringComparer.OrdinalIgnoreCase)
    {
        ["fifo"] = QueueMode.Fifo,
        ["random"] = QueueMode.Random,
        ["passthrough"] = QueueMode.Passthrough,
        ["queue-all"] = QueueMode.QueueAll,
        ["reject"] = QueueMode.Reject,
    };

    /// <summary>The name of <paramref name="mode"/>: fifo, random, passthrough, queue-all or reject.</summary>
    public static string Of(QueueMode mode) => mode switch
    {
        QueueMode.Random => "random",
        QueueMode.Passthrough => "passthrough",
        QueueMode.QueueAll => "queue-all",
        QueueMode.Reject => "reject",
        _ => "fifo",
    };
}
