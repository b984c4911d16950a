using System.Globalization;
using WaitingRoom.Configuration;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;

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
        [new RouteConfig { RouteId = RouteId, ClusterId = ClusterId, Match = new RouteMatch { Path = "{**catch-all}" } }];

    /// <summary>True for an absolute http(s) URL without query, fragment or credentials: what a destination may be.</summary>
    public static bool IsBackendUrl(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? uri) =>
        Uri.TryCreate(text, UriKind.Absolute, out uri) &&
        (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) &&
        string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment) && string.IsNullOrEmpty(uri.UserInfo);

    /// <summary>The destinations of WR_BACKEND_URL, named d1, d2, ... in order.</summary>
    public static IReadOnlyList<BackendDestination> Configured(WaitingRoomOptions options) =>
        [.. options.BackendUrls.Select((url, i) => new BackendDestination("d" + (i + 1).ToString(CultureInfo.InvariantCulture), url.ToString(), Disabled: false))];

    /// <summary>
    /// The one cluster: every destination that is not disabled, and YARP's load balancing, active
    /// health checks (WR_HEALTH_CHECK_PATH), passive ones (a destination failing at the transport
    /// level is taken out and tried again after a reactivation period), session affinity (WR_STICKY)
    /// and the backend timeout.
    /// </summary>
    public static ClusterConfig[] Clusters(WaitingRoomOptions options, IEnumerable<BackendDestination> destinationList)
    {
        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var destination in destinationList.Where(d => !d.Disabled))
        {
            destinations[destination.Id] = new DestinationConfig { Address = destination.Address };
        }

        return
        [
            new ClusterConfig
            {
                ClusterId = ClusterId,
                Destinations = destinations,
                LoadBalancingPolicy = options.LoadBalancingPolicy,
                HttpRequest = new ForwarderRequestConfig { ActivityTimeout = options.BackendTimeout },

                // Kestrel accepts UTF-8 in request headers; forward them as UTF-8 too. With the
                // client's default (ASCII only) one non-ASCII byte in a visitor's cookie failed the
                // forward, and the failure counted against the destination in the passive checks.
                HttpClient = new HttpClientConfig { RequestHeaderEncoding = "utf-8", ResponseHeaderEncoding = "utf-8" },
                HealthCheck = new HealthCheckConfig
                {
                    Passive = new PassiveHealthCheckConfig
                    {
                        Enabled = true,
                        Policy = "TransportFailureRate",
                        ReactivationPeriod = PassiveReactivation(options),
                    },
                    Active = options.HealthCheckPath is null ? null : new ActiveHealthCheckConfig
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

    /// <summary>Failed forwards (out of at least this many in the window) that take a destination out by passive checks.</summary>
    public const int PassiveMinimumRequests = 3;

    /// <summary>Share of failed forwards in the window above which passive checks take a destination out.</summary>
    public const double PassiveFailureRate = 0.3;

    /// <summary>
    /// YARP's passive policy judges a destination over a window and never rests it for less than
    /// that window, so both follow the probe interval (at least 5 s); its own defaults (60 s,
    /// 10 requests) would cost ten failed visitor requests and a minute's rest per dead destination.
    /// </summary>
    public static void ConfigurePassiveChecks(TransportFailureRateHealthPolicyOptions passive, WaitingRoomOptions options)
    {
        ArgumentNullException.ThrowIfNull(passive);
        ArgumentNullException.ThrowIfNull(options);
        passive.DetectionWindowSize = PassiveReactivation(options);
        passive.MinimalTotalCountThreshold = PassiveMinimumRequests;
        passive.DefaultFailureRateLimit = PassiveFailureRate;
    }

    /// <summary>How long a destination taken out by passive checks rests before it gets traffic again: the probe interval, at least 5 s.</summary>
    private static TimeSpan PassiveReactivation(WaitingRoomOptions options) =>
        options.HealthCheckInterval > TimeSpan.FromSeconds(5) ? options.HealthCheckInterval : TimeSpan.FromSeconds(5);
}
