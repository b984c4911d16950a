namespace WaitingRoom.Webhooks;

/// <summary>The <c>type</c> of each webhook (SPEC.md).</summary>
internal static class WebhookTypes
{
    /// <summary>The room's queue was empty and a visitor had to wait.</summary>
    public const string QueueStarted = "queue.started";

    /// <summary>The last waiter left the queue (let in, gone, or reset).</summary>
    public const string QueueEmpty = "queue.empty";

    /// <summary>The room's event phase changed (normal, prequeue, event).</summary>
    public const string EventPhase = "event.phase";

    /// <summary>The capacity the room admits against changed: the operator, the adaptive controller or the origin's WR-Command.</summary>
    public const string CapacityChanged = "capacity.changed";

    /// <summary>This instance lost the store (sent by each instance: the store cannot deduplicate its own outage).</summary>
    public const string StoreDown = "store.down";

    /// <summary>This instance reaches the store again.</summary>
    public const string StoreUp = "store.up";
}
