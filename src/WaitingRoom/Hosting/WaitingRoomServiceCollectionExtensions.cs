using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using WaitingRoom.Adaptive;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Operations;
using WaitingRoom.Proxy;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The composition steps of <c>AddWaitingRoom</c>, one per feature folder (as YARP's IReverseProxyBuilderExtensions).</summary>
internal static class WaitingRoomServiceCollectionExtensions
{
    /// <summary>The rooms and what the admission middleware needs: the visitor cookie, the pages, the client address.</summary>
    internal static IServiceCollection AddWaitingRoomAdmission(this IServiceCollection services, WaitingRoomOptions options)
    {
        services.AddSingleton(new RoomTable(options.Rooms));
        services.AddSingleton<RoomOverrides>();
        services.AddSingleton<VisitorTokenSigner>();
        services.AddSingleton<VisitorPages>();
        services.AddSingleton<VisitorResponses>();
        services.AddSingleton<QueuePlaces>();
        services.AddSingleton<WaitingRoom.Access.AccessRules>();

        // WR_POW: the gate exists only when the step is on, so the middleware pays one null check when it is off.
        if (options.ProofOfWork != WaitingRoom.ProofOfWork.ProofOfWorkMode.Off)
        {
            services.AddSingleton<WaitingRoom.ProofOfWork.ProofOfWorkPressure>();
            services.AddSingleton<WaitingRoom.ProofOfWork.ProofOfWorkGate>();
        }

        // The client address (per-client newcomer cap, logs) and scheme (Secure cookie) come from
        // X-Forwarded-For / X-Forwarded-Proto only when the connection comes from a trusted proxy:
        // loopback by default, or the addresses and networks of WR_TRUSTED_PROXIES.
        services.Configure<ForwardedHeadersOptions>(forwarded =>
        {
            forwarded.ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto;
            if (options.TrustedProxies.Count > 0)
            {
                forwarded.KnownProxies.Clear();
                forwarded.KnownIPNetworks.Clear();
                foreach (var network in options.TrustedProxies)
                {
                    forwarded.KnownIPNetworks.Add(network);
                }
            }
        });
        return services;
    }

    /// <summary>The store (in memory, or Redis behind the admission cache), every call measured for /_wr/metrics, and the promotion service.</summary>
    internal static IServiceCollection AddWaitingRoomStore(this IServiceCollection services, WaitingRoomOptions options)
    {
        services.AddSingleton<PromotionRates>();
        services.AddSingleton<QueueSnapshots>();
        services.AddHostedService<PromotionService>();

        // Analytics: counted per instance in memory, added to the store's per-minute hashes every 10 s.
        services.AddSingleton<WaitingRoom.Analytics.AnalyticsRecorder>();
        services.AddHostedService<WaitingRoom.Analytics.AnalyticsFlusher>();
        if (options.UsesInMemoryStore)
        {
            services.AddSingleton<InMemoryWaitingRoomStore>();
            services.AddSingleton<IWaitingRoomStore>(sp => new MeasuredWaitingRoomStore(
                sp.GetRequiredService<InMemoryWaitingRoomStore>(), sp.GetRequiredService<WaitingRoomMetrics>()));
            return services;
        }

        // With Redis, active visitors are admitted from a short local cache, their last-seen written back
        // in batches (AdmissionCache); every call has a deadline, and an outage seen by one call fails the
        // others at once (StoreAvailability), so a Redis that hangs never holds a request for long.
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

    /// <summary>What operators use: the graceful stop, the room monitor, the admin API, the start-up report and the shared-state sync.</summary>
    internal static IServiceCollection AddWaitingRoomOperations(this IServiceCollection services, WaitingRoomOptions options)
    {
        // SIGTERM: /_wr/ready answers 503 at once, the listener stays open for WR_SHUTDOWN_DELAY,
        // then requests in flight get the rest of WR_SHUTDOWN_TIMEOUT to finish.
        services.Configure<Microsoft.Extensions.Hosting.HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        services.AddHostedService<ShutdownDrain>();
        services.AddSingleton<RoomMonitor>();

        // One audit trail for the admin API, the adaptive controller and the origin's commands.
        services.TryAddSingleton<AuditLog>();
        if (options.AdminToken is { } adminToken)
        {
            services.AddSingleton(new AdminToken(adminToken));
            services.AddSingleton<AdminEndpoints>();
        }

        // Hosted services start in this order: these after the store's promotion service.
        services.AddHostedService<StartupReport>();
        services.AddHostedService<SharedStateSync>();
        return services;
    }

    /// <summary>The adaptive capacity: the measurement of forwarded requests, the last signals and the controller's loop.</summary>
    internal static IServiceCollection AddWaitingRoomAdaptiveCapacity(this IServiceCollection services)
    {
        services.AddSingleton<ForwardingMeasurements>();
        services.AddSingleton<AdaptiveSignals>();

        // Runs on every instance, also with no adaptive room (a PATCH may turn one on); a pass without one costs nothing.
        services.AddHostedService<AdaptiveCapacityService>();
        return services;
    }

    /// <summary>YARP for WR_BACKEND_URL: routes, clusters, passive health, the cookie-stripping and origin-command transforms.</summary>
    internal static IServiceCollection AddWaitingRoomProxy(this IServiceCollection services, WaitingRoomOptions options)
    {
        services.AddSingleton<BackendDestinations>();
        if (options.BackendUrls.Count == 0)
        {
            return services; // the demo origin answers instead
        }

        services.AddSingleton<OriginCommandTransform>();
        services.Configure<Yarp.ReverseProxy.Health.TransportFailureRateHealthPolicyOptions>(passive => ProxyConfiguration.ConfigurePassiveChecks(passive, options));
        services.AddReverseProxy()
            .LoadFromMemory(ProxyConfiguration.Routes(), ProxyConfiguration.Clusters(options, ProxyConfiguration.Configured(options)))
            .AddTransforms(context =>
            {
                context.RequestTransforms.Add(new StripVisitorCookieTransform(options.CookieName));
                context.RequestTransforms.Add(new WaitingRoom.Assertion.AdmissionAssertionTransform(context.Services.GetService<WaitingRoom.Assertion.AdmissionAssertions>()));
                context.ResponseTransforms.Add(context.Services.GetRequiredService<OriginCommandTransform>());
            });
        return services;
    }
}
