using WaitingRoom.Configuration;
using WaitingRoom.Operations;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers what operators use: the graceful stop, the start-up report, the room monitor, the admin token, shared state.</summary>
internal static class OperationsServiceCollectionExtensions
{
    internal static IServiceCollection AddWaitingRoomOperations(this IServiceCollection services, WaitingRoomOptions options)
    {
        // SIGTERM: /_wr/ready answers 503 at once, the listener stays open for WR_SHUTDOWN_DELAY,
        // then requests in flight get the rest of WR_SHUTDOWN_TIMEOUT to finish.
        services.Configure<Microsoft.Extensions.Hosting.HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        services.AddHostedService<ShutdownDrain>();
        services.AddSingleton<RoomMonitor>();
        if (options.AdminToken is { } adminToken)
        {
            services.AddSingleton(new AdminToken(adminToken));
            services.AddSingleton<AdminEndpoints>();
        }

        return services;
    }

    /// <summary>After the store: the start-up check and the shared-state sync start once the store's services are registered.</summary>
    internal static IServiceCollection AddWaitingRoomBackgroundChecks(this IServiceCollection services)
    {
        services.AddHostedService<StartupReport>();
        services.AddHostedService<SharedStateSync>();
        return services;
    }
}
