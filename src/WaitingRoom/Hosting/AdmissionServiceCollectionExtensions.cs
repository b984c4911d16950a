using Microsoft.AspNetCore.Builder;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Rooms;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the rooms and what the admission middleware needs: the visitor cookie, the pages, the client address.</summary>
internal static class AdmissionServiceCollectionExtensions
{
    internal static IServiceCollection AddWaitingRoomAdmission(this IServiceCollection services, WaitingRoomOptions options)
    {
        services.AddSingleton(new RoomTable(options.Rooms));
        services.AddSingleton<RoomOverrides>();
        services.AddSingleton<VisitorTokenSigner>();
        services.AddSingleton<VisitorPages>();
        services.AddSingleton<VisitorResponses>();

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
}
