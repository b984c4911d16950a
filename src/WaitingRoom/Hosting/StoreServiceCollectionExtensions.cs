using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using WaitingRoom.Configuration;
using WaitingRoom.Operations;
using WaitingRoom.Queue;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the room's store (in memory, or Redis behind the admission cache) and the promotion service.</summary>
internal static class StoreServiceCollectionExtensions
{
    /// <summary>Every store call is measured (round trip, failures) for /_wr/metrics.</summary>
    internal static IServiceCollection AddWaitingRoomStore(this IServiceCollection services, WaitingRoomOptions options)
    {
        services.AddSingleton<PromotionRates>();
        services.AddHostedService<PromotionService>();
        if (options.UsesInMemoryStore)
        {
            services.AddSingleton<InMemoryWaitingRoomStore>();
            services.AddSingleton<IWaitingRoomStore>(sp => new MeasuredWaitingRoomStore(
                sp.GetRequiredService<InMemoryWaitingRoomStore>(), sp.GetRequiredService<WaitingRoomMetrics>()));
            return services;
        }

        // With Redis, active visitors' requests are admitted from a short local cache and their
        // last-seen written back in batches: the admitted hot path has no round trip (AdmissionCache).
        // Every call has a deadline, and an outage seen by one call fails the others at once
        // (StoreAvailability), so a Redis that hangs never holds a request for long.
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var availability = sp.GetRequiredService<StoreAvailability>();
            var connection = ConnectionMultiplexer.Connect(
                RedisConnectionOptions.Create(options, sp.GetRequiredService<ILoggerFactory>().CreateLogger<RedisCertificateValidator>(), availability.ConnectionFailed));
            connection.ConnectionFailed += (_, failed) =>
            {
                if (failed.Exception is { } exception)
                {
                    availability.ConnectionFailed(exception);
                }
            };
            return connection;
        });
        services.AddSingleton(_ => new StoreAvailability(TimeProvider.System));
        services.AddSingleton(sp => new AdmissionCache(
            new MeasuredWaitingRoomStore(
                new RedisWaitingRoomStore(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<TimeProvider>(), options.KeyPrefix, sp.GetRequiredService<StoreAvailability>()),
                sp.GetRequiredService<WaitingRoomMetrics>()),
            sp.GetRequiredService<TimeProvider>(),
            options.ReleaseInterval,
            sp.GetRequiredService<StoreAvailability>()));
        services.AddSingleton<IWaitingRoomStore>(sp => sp.GetRequiredService<AdmissionCache>());
        services.AddHostedService<AdmissionCacheFlusher>();
        return services;
    }
}
