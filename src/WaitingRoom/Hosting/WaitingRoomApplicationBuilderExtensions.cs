using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WaitingRoom.Admission;
using WaitingRoom.Hosting;
using WaitingRoom.Operations;
using WaitingRoom.Proxy;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Composition of the waiting room: <c>AddWaitingRoom</c> on the builder, <c>UseWaitingRoom</c> on the app.</summary>
public static class WaitingRoomApplicationBuilderExtensions
{
    /// <summary>
    /// Reads and validates the WR_* variables, then registers logging, the store, the admission
    /// pipeline, the promotion service and the proxy.
    /// </summary>
    /// <remarks>A bad value stops the app when it is built and started (<see cref="OptionsValidationException"/>).</remarks>
    public static WebApplicationBuilder AddWaitingRoom(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddWaitingRoomConfiguration(builder.Configuration);

        builder.AddWaitingRoomTelemetry(options);
        ConfigureListening(builder, options);

        var services = builder.Services;

        // SIGTERM: /_wr/ready answers 503 at once, the listener stays open for WR_SHUTDOWN_DELAY,
        // then requests in flight get the rest of WR_SHUTDOWN_TIMEOUT to finish.
        services.Configure<Microsoft.Extensions.Hosting.HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        services.AddHostedService<ShutdownDrain>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(new RoomTable(options.Rooms));
        services.AddSingleton<PromotionRates>();
        services.AddSingleton<RoomOverrides>();
        services.AddSingleton<RoomMonitor>();
        services.AddSingleton<BackendDestinations>();
        if (options.AdminToken is { } adminToken)
        {
            services.AddSingleton(new AdminToken(adminToken));
        }

        services.AddSingleton<VisitorTokenSigner>();
        services.AddSingleton<VisitorPages>();
        services.AddSingleton<VisitorResponses>();
        AddStore(services, options);
        services.AddHostedService<StartupReport>();
        services.AddHostedService<PromotionService>();
        services.AddHostedService<SharedStateSync>();

        ConfigureForwardedHeaders(services, options);
        if (options.BackendUrls.Count > 0)
        {
            services.AddSingleton<OriginCommandTransform>();
            services.Configure<Yarp.ReverseProxy.Health.TransportFailureRateHealthPolicyOptions>(passive => ProxyConfiguration.ConfigurePassiveChecks(passive, options));
            services.AddReverseProxy()
                .LoadFromMemory(ProxyConfiguration.Routes(), ProxyConfiguration.Clusters(options, ProxyConfiguration.Configured(options)))
                .AddTransforms(context =>
                {
                    context.RequestTransforms.Add(new StripVisitorCookieTransform(options.CookieName));
                    context.ResponseTransforms.Add(context.Services.GetRequiredService<OriginCommandTransform>());
                });
        }

        return builder;
    }

    /// <summary>
    /// The request pipeline: request log, the room's assets, routing, admission, then the room's
    /// own endpoints and the proxy (or the demo origin when no backend is set).
    /// </summary>
    public static WebApplication UseWaitingRoom(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<WaitingRoomOptions>>().Value;

        app.UseForwardedHeaders();
        app.UseWaitingRoomRequestLog();
        app.UseStaticFiles(AssetFiles(app));
        app.UseRouting();
        app.UseMiddleware<AdmissionMiddleware>();

        WaitingRoomEndpoints.Map(app);
        if (app.Services.GetService<AdminToken>() is { } adminToken)
        {
            AdminEndpoints.Map(app, adminToken);
        }

        if (options.BackendUrls.Count > 0)
        {
            app.MapReverseProxy(proxy =>
            {
                // YARP's default pipeline, after the step that counts requests per destination and
                // answers a clear 503 page when no destination could take the request.
                proxy.UseMiddleware<BackendOutcomeMiddleware>();
                proxy.UseSessionAffinity();
                proxy.UseLoadBalancing();
                proxy.UsePassiveHealthChecks();
            });
        }
        else
        {
            DemoOrigin.Map(app);
        }

        return app;
    }

    /// <summary>
    /// The client address (per-client newcomer cap, logs) and scheme (Secure cookie) come from
    /// X-Forwarded-For / X-Forwarded-Proto only when the connection comes from a trusted proxy:
    /// loopback by default, or the addresses and networks of WR_TRUSTED_PROXIES.
    /// </summary>
    private static void ConfigureForwardedHeaders(IServiceCollection services, WaitingRoomOptions options)
    {
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
    }

    private static void ConfigureListening(WebApplicationBuilder builder, WaitingRoomOptions options)
    {
        // WR_PORT wins; otherwise ASPNETCORE_URLS / ASPNETCORE_HTTP_PORTS are honoured; otherwise 8080.
        if (options.Port is { } port)
        {
            builder.WebHost.UseUrls($"http://+:{port}");
        }
        else if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls("http://+:8080");
        }
    }

    private static void AddStore(IServiceCollection services, WaitingRoomOptions options)
    {
        // Every store call is measured (round trip, failures) for /_wr/metrics.
        if (options.UsesInMemoryStore)
        {
            services.AddSingleton<InMemoryWaitingRoomStore>();
            services.AddSingleton<IWaitingRoomStore>(sp => new MeasuredWaitingRoomStore(
                sp.GetRequiredService<InMemoryWaitingRoomStore>(), sp.GetRequiredService<WaitingRoomMetrics>()));
            return;
        }

        // With Redis, active visitors' requests are admitted from a short local cache and their
        // last-seen written back in batches: the admitted hot path has no round trip (AdmissionCache).
        // Every call has a deadline, and an outage seen by one call fails the others at once
        // (StoreAvailability), so a Redis that hangs never holds a request for long.
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var availability = sp.GetRequiredService<StoreAvailability>();
            var connection = ConnectionMultiplexer.Connect(
                RedisConfiguration(options, sp.GetRequiredService<ILoggerFactory>().CreateLogger<RedisCertificateValidator>(), availability.ConnectionFailed));
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
    }

    /// <summary>
    /// StackExchange.Redis settings: never abort on a failed first connect (the room must start and
    /// recover by itself when Redis comes back), short timeouts so an outage is noticed in seconds.
    /// With TLS, the server certificate is checked against WR_REDIS_TLS_CA when it is set (else the
    /// system's trust store) and must name WR_REDIS_TLS_HOST (else the host connected to).
    /// </summary>
    /// <param name="options">The room's options.</param>
    /// <param name="logger">Where a refused server certificate is explained; null = nowhere.</param>
    /// <param name="certificateRejected">Told of every refused server certificate; null = nobody.</param>
    internal static ConfigurationOptions RedisConfiguration(WaitingRoomOptions options, Microsoft.Extensions.Logging.ILogger? logger = null, Action<Exception>? certificateRejected = null)
    {
        var configuration = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectTimeout = 2000,
            SyncTimeout = 2000,
            ConnectRetry = 3,
            KeepAlive = 10,
            ClientName = "waitingroom",
            User = options.RedisUser,
            Password = options.RedisPassword,
            ServiceName = options.RedisSentinel,
            Ssl = options.RedisSsl,
            DefaultDatabase = options.RedisDatabase,
        };

        // Several nodes are a cluster's seeds: the client asks them for the cluster's layout (CLUSTER NODES)
        // and then connects to every master itself, so the list need not be complete.
        foreach (var endpoint in RedisEndpoints(options))
        {
            configuration.EndPoints.Add(endpoint.Host, endpoint.Port);
        }

        if (options.RedisSsl)
        {
            configuration.SslHost = options.RedisTlsHost;
            if (options.RedisTlsRoots is { } roots)
            {
                configuration.CertificateValidation += new RedisCertificateValidator(roots, options.RedisTlsCaFile!, logger, certificateRejected).Validate;
            }
            else if (certificateRejected is not null)
            {
                // The system's own check, unchanged; a refusal is only also told to the start-up check.
                configuration.CertificateValidation += (_, _, _, errors) =>
                {
                    if (errors != System.Net.Security.SslPolicyErrors.None)
                    {
                        certificateRejected(new System.Security.Authentication.AuthenticationException($"The Redis server certificate was refused by the system's trust store ({errors})."));
                    }

                    return errors == System.Net.Security.SslPolicyErrors.None;
                };
            }

            if (options.RedisTlsClientCertificate is { } client)
            {
                configuration.CertificateSelection += (_, _, _, _, _) => client;
            }
        }

        return configuration;
    }

    /// <summary>The nodes to connect to first: WR_REDIS_HOST's list, or WR_REDIS_URL's one host.</summary>
    internal static IReadOnlyList<System.Net.DnsEndPoint> RedisEndpoints(WaitingRoomOptions options) =>
        options.RedisEndpoints.Count > 0 ? options.RedisEndpoints : [new System.Net.DnsEndPoint(options.RedisHost!, options.RedisPort)];

    private static StaticFileOptions AssetFiles(WebApplication app)
    {
        // The templates (*.html) are rendered by the room, not served raw.
        var types = new FileExtensionContentTypeProvider();
        types.Mappings.Remove(".html");
        types.Mappings.Remove(".htm");
        return new StaticFileOptions
        {
            RequestPath = VisitorResponses.AssetsPath,
            FileProvider = new PhysicalFileProvider(VisitorPages.WebRootOf(app.Environment)),
            ContentTypeProvider = types,
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "public, max-age=300",
        };
    }
}
