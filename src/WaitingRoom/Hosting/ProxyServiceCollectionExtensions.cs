using WaitingRoom.Configuration;
using WaitingRoom.Proxy;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers YARP for WR_BACKEND_URL: routes, clusters, passive health, the cookie-stripping and origin-command transforms.</summary>
internal static class ProxyServiceCollectionExtensions
{
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
                context.ResponseTransforms.Add(context.Services.GetRequiredService<OriginCommandTransform>());
            });
        return services;
    }
}
