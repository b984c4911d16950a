using System.Diagnostics.Metrics;
using WaitingRoom.Operations;

namespace WaitingRoom.Webhooks;

/// <summary>The webhooks' counters, on the room's meter (so /_wr/metrics shows them): what this instance sent, gave up on and dropped.</summary>
internal sealed class WebhookMetrics
{
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _dropped;

    public WebhookMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(WaitingRoomMetrics.MeterName);
        _delivered = meter.CreateCounter<long>("wr_webhooks_delivered", description: "Webhooks this instance delivered (the receiver answered 2xx), by type.");
        _failed = meter.CreateCounter<long>("wr_webhooks_failed", description: "Webhooks this instance gave up on after every retry, by type.");
        _dropped = meter.CreateCounter<long>("wr_webhooks_dropped", description: "Webhooks this instance dropped because its delivery queue was full (a slow or dead receiver), by type.");
    }

    public void Delivered(string type) => _delivered.Add(1, new KeyValuePair<string, object?>("type", type));

    public void Failed(string type) => _failed.Add(1, new KeyValuePair<string, object?>("type", type));

    public void Dropped(string type) => _dropped.Add(1, new KeyValuePair<string, object?>("type", type));
}
