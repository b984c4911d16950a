using System.Globalization;
using WaitingRoom.Hosting;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace WaitingRoom.Proxy;

/// <summary>
/// Turns the WR_* backend settings into YARP's own configuration: one catch-all route to one
/// cluster with a destination per WR_BACKEND_URL entry, YARP's load balancing, health checks,
/// session affinity and activity timeout. X-Forwarded-* are YARP's defaults.
/// </summary>
internal static class ProxyConfiguration
{
    public const string RouteId = "waitingroom";
    public const string ClusterId = "backend";

    public static RouteConfig[] Routes() =>
    [
        new RouteConfig
        {
            RouteId = RouteId,
            ClusterId = ClusterId,
            Match = new RouteMatch { Path = "{**catch-all}" },
        },
    ];

    public static ClusterConfig[] Clusters(WaitingRoomOptions options)
    {
        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.BackendUrls.Count; i++)
        {
            destinations["d" + (i + 1).ToString(CultureInfo.InvariantCulture)] = new DestinationConfig { Address = options.BackendUrls[i].ToString() };
        }

        return
        [
            new ClusterConfig
            {
                ClusterId = ClusterId,
                Destinations = destinations,
                LoadBalancingPolicy = options.LoadBalancingPolicy,
                HttpRequest = new ForwarderRequestConfig { ActivityTimeout = options.BackendTimeout },
                HealthCheck = options.HealthCheckPath is null ? null : new HealthCheckConfig
                {
                    Active = new ActiveHealthCheckConfig
                    {
                        Enabled = true,
                        Path = options.HealthCheckPath,
                        Interval = options.HealthCheckInterval,
                        Timeout = options.HealthCheckTimeout,
                        Policy = "ConsecutiveFailures",
                    },
                },
                SessionAffinity = !options.Sticky ? null : new SessionAffinityConfig
                {
                    Enabled = true,
                    Policy = "HashCookie",
                    AffinityKeyName = "wr_affinity",
                    Cookie = new SessionAffinityCookieConfig { HttpOnly = true, SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Lax },
                },
            },
        ];
    }
}
