using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
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
        services.AddWaitingRoomStore(options);
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
