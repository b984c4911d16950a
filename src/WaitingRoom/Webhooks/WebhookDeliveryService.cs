using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WaitingRoom.Webhooks;

/// <summary>
/// Sends the queued webhooks one after the other, in the order they happened, through the named
/// HttpClient whose resilience handler retries with exponential back-off (see
/// <c>AddWaitingRoomWebhooks</c>). A delivery that fails every attempt is logged and counted, and the
/// next one goes: at least once while the receiver answers within the retries, never blocking anyone.
/// </summary>
internal sealed partial class WebhookDeliveryService(
    WebhookPublisher publisher,
    IHttpClientFactory clients,
    WebhookMetrics metrics,
    ILogger<WebhookDeliveryService> logger) : BackgroundService
{
    /// <summary>The named HttpClient of webhooks (its handler holds the retry policy).</summary>
    public const string ClientName = "WaitingRoom.Webhooks";

    public const string SignatureHeader = "WR-Signature";

    public const string IdHeader = "WR-Webhook-Id";

    public const string TypeHeader = "WR-Webhook-Type";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var delivery in publisher.Reader.ReadAllAsync(stoppingToken))
            {
                await DeliverAsync(delivery, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is still queued is not sent (see the README's delivery guarantees).
        }
    }

    private async Task DeliverAsync(WebhookDelivery delivery, CancellationToken stoppingToken)
    {
        try
        {
            using var client = clients.CreateClient(ClientName);
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(delivery.Body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            request.Headers.TryAddWithoutValidation(SignatureHeader, delivery.Signature);
            request.Headers.TryAddWithoutValidation(IdHeader, delivery.Id);
            request.Headers.TryAddWithoutValidation(TypeHeader, delivery.Type);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stoppingToken);
            if (response.IsSuccessStatusCode)
            {
                metrics.Delivered(delivery.Type);
                Log.Delivered(logger, delivery.Type, delivery.Id, (int)response.StatusCode);
            }
            else
            {
                metrics.Failed(delivery.Type);
                Log.Failed(logger, delivery.Type, delivery.Id, Target(delivery.Url), $"the receiver answered {(int)response.StatusCode}", null);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or Polly.Timeout.TimeoutRejectedException)
        {
            metrics.Failed(delivery.Type);
            Log.Failed(logger, delivery.Type, delivery.Id, Target(delivery.Url), ex.Message, ex);
        }
        finally
        {
            publisher.Finished();
        }
    }

    /// <summary>The receiver for a log line: scheme, host and path (a query may carry a token).</summary>
    private static string Target(Uri url) => url.GetLeftPart(UriPartial.Path);

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.WebhookDelivered, Level = LogLevel.Debug, EventName = nameof(EventIds.WebhookDelivered),
            Message = "Delivered the {Type} webhook {Id} ({Status}).")]
        public static partial void Delivered(ILogger logger, string type, string id, int status);

        [LoggerMessage(EventId = EventIds.WebhookFailed, Level = LogLevel.Warning, EventName = nameof(EventIds.WebhookFailed),
            Message = "Gave up on the {Type} webhook {Id} to {Url} after every retry: {Reason}. It is not sent again (wr_webhooks_failed).")]
        public static partial void Failed(ILogger logger, string type, string id, string url, string reason, Exception? exception);
    }
}
