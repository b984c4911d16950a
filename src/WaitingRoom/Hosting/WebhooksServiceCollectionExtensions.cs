using Microsoft.Extensions.Http.Resilience;
using Polly;
using WaitingRoom.Configuration;
using WaitingRoom.Webhooks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The composition step of webhooks (WR_WEBHOOK_URL, a room's webhookUrl, WR_WEBHOOK_SECRET).</summary>
internal static class WebhooksServiceCollectionExtensions
{
    /// <summary>Each attempt's limit: a receiver should answer at once and do its work later.</summary>
    internal static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Retries after the first attempt: 1, 2, 4, 8, 16 and 32 s apart (with jitter), about a minute and a half in all.</summary>
    internal const int Retries = 6;

    /// <summary>
    /// With WR_WEBHOOK_SECRET set: the bounded queue, the watcher and the sender, whose HttpClient (from
    /// IHttpClientFactory) retries a failed attempt (a connection error, a timeout, 408, 429 or 5xx,
    /// honouring Retry-After) with exponential back-off. Unset: nothing is registered, so webhooks cost nothing.
    /// </summary>
    internal static IServiceCollection AddWaitingRoomWebhooks(this IServiceCollection services, WaitingRoomOptions options)
    {
        if (options.WebhookSecret is null)
        {
            return services;
        }

        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton<WebhookPublisher>();
        services.AddHostedService<WebhookDeliveryService>();
        services.AddSingleton<WebhookWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookWatcher>());

        // The resilience pipeline's timeouts and back-off run on the host's TimeProvider (virtual in tests), not HttpClient.Timeout.
        services.AddHttpClient(WebhookDeliveryService.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("webhooks", pipeline => pipeline
                .AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = Retries,
                    BackoffType = DelayBackoffType.Exponential,
                    Delay = TimeSpan.FromSeconds(1),
                    UseJitter = true,
                    ShouldRetryAfterHeader = true,
                })
                .AddTimeout(AttemptTimeout));
        return services;
    }
}
