using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;

namespace WaitingRoom.Webhooks;

/// <summary>
/// Turns an event into a signed delivery and puts it in a bounded queue that
/// <see cref="WebhookDeliveryService"/> drains. Never waits: when the queue is full (the receiver is
/// slow or gone) the event is dropped, counted (wr_webhooks_dropped) and logged once per run of drops,
/// so neither a request nor a background loop is ever held by a receiver.
/// </summary>
internal sealed partial class WebhookPublisher
{
    /// <summary>Deliveries waiting at most: a few minutes of every event type of many rooms; about 1 KB each.</summary>
    public const int Capacity = 1000;

    private readonly Channel<WebhookDelivery> _queue = Channel.CreateBounded<WebhookDelivery>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly byte[] _secret;
    private readonly TimeProvider _time;
    private readonly WebhookMetrics _metrics;
    private readonly ILogger<WebhookPublisher> _logger;
    private int _dropping;
    private long _published;
    private long _finished;

    public WebhookPublisher(IOptions<WaitingRoomOptions> options, TimeProvider time, WebhookMetrics metrics, ILogger<WebhookPublisher> logger)
    {
        _secret = Encoding.UTF8.GetBytes(options.Value.WebhookSecret ?? throw new InvalidOperationException("webhooks need WR_WEBHOOK_SECRET"));
        _time = time;
        _metrics = metrics;
        _logger = logger;
        GlobalUrl = options.Value.DefaultRoom.WebhookUrl;
    }

    /// <summary>WR_WEBHOOK_URL as configured: where a room without its own webhookUrl, and the store's events, go.</summary>
    public Uri? GlobalUrl { get; }

    /// <summary>What the delivery service reads.</summary>
    public ChannelReader<WebhookDelivery> Reader => _queue.Reader;

    /// <summary>Deliveries queued, and those delivered, given up on or dropped: equal when nothing is pending (for tests and shutdown).</summary>
    public bool IsIdle => Interlocked.Read(ref _finished) == Interlocked.Read(ref _published);

    /// <summary>Queues one webhook to <paramref name="url"/>: <c>{"type","room","at","data"}</c>, signed. False when dropped (queue full).</summary>
    public bool Publish(Uri url, string type, string? room, JsonObject data)
    {
        var body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["type"] = type,
            ["room"] = room,
            ["at"] = _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["data"] = data,
        }.ToJsonString());
        var delivery = new WebhookDelivery(url, type, Guid.NewGuid().ToString("N"), body, Sign(_secret, body));
        Interlocked.Increment(ref _published);
        if (_queue.Writer.TryWrite(delivery))
        {
            Volatile.Write(ref _dropping, 0);
            return true;
        }

        Finished();
        _metrics.Dropped(type);
        if (Interlocked.Exchange(ref _dropping, 1) == 0)
        {
            Log.Dropped(_logger, type, Capacity);
        }

        return false;
    }

    /// <summary>A delivery ended (sent, given up on or dropped).</summary>
    public void Finished() => Interlocked.Increment(ref _finished);

    /// <summary>The WR-Signature value of <paramref name="body"/>: <c>sha256=</c> and the lower-case hex HMAC-SHA256.</summary>
    public static string Sign(byte[] secret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, body));

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.WebhookDropped, Level = LogLevel.Warning, EventName = nameof(EventIds.WebhookDropped),
            Message = "Dropped a {Type} webhook: {Capacity} deliveries are already waiting for a slow or unreachable receiver. Further drops are counted in wr_webhooks_dropped, not logged, until one is queued again.")]
        public static partial void Dropped(ILogger logger, string type, int capacity);
    }
}
