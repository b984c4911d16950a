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

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services
            .AddWaitingRoomAdmission(options)
            .AddWaitingRoomStore(options)
            .AddWaitingRoomOperations(options)
            .AddWaitingRoomAdaptiveCapacity()
            .AddWaitingRoomAdmissionAssertion(options)
            .AddWaitingRoomWebhooks(options)
            .AddWaitingRoomAccessCodes()
            .AddWaitingRoomProxy(options);
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
        app.UseMiddleware<WaitingRoom.Codes.AccessCodeMiddleware>();
        app.UseMiddleware<AdmissionMiddleware>();

        WaitingRoomEndpoints.Map(app);
        WaitingRoom.Codes.AccessCodeEndpoints.MapVisitor(app);
        app.Services.GetService<AdminEndpoints>()?.Map(app);
        WaitingRoom.Assertion.JwksEndpoint.Map(app);

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
