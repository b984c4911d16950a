using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using WaitingRoom.Configuration;

namespace WaitingRoom.Queue;

/// <summary>The StackExchange.Redis settings of the room's options.</summary>
internal static class RedisConnectionOptions
{
    /// <summary>
    /// Never abort on a failed first connect (the room must start and recover by itself when Redis
    /// comes back), short timeouts so an outage is noticed in seconds; the client's own async
    /// timeout bounds every call (<see cref="StoreAvailability.BackgroundDeadline"/>), the request
    /// path has a shorter one of ours. With TLS, the server certificate is checked against
    /// WR_REDIS_TLS_CA when it is set (else the system's trust store) and must name
    /// WR_REDIS_TLS_HOST (else the host connected to).
    /// </summary>
    /// <param name="options">The room's options.</param>
    /// <param name="logger">Where a refused server certificate is explained; null = nowhere.</param>
    /// <param name="certificateRejected">Told of every refused server certificate; null = nobody.</param>
    public static ConfigurationOptions Create(WaitingRoomOptions options, ILogger? logger = null, Action<Exception>? certificateRejected = null)
    {
        var configuration = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectTimeout = 2000,
            SyncTimeout = 2000,
            AsyncTimeout = (int)StoreAvailability.BackgroundDeadline.TotalMilliseconds,
            ConnectRetry = 3,
            KeepAlive = 10,

            // A Redis that died and came back is reconnected to within about half a second: the
            // client's default backoff (exponential from 1 s, tried on a 1 s heartbeat) left the room
            // on its failure mode for up to 2 s after Redis was back.
            ReconnectRetryPolicy = new LinearRetry(500),
            HeartbeatInterval = TimeSpan.FromMilliseconds(500),
            ClientName = "waitingroom",
            User = options.RedisUser,
            Password = options.RedisPassword,
            ServiceName = options.RedisSentinel,
            Ssl = options.RedisSsl,
            DefaultDatabase = options.RedisDatabase,
        };

        // Several nodes are a cluster's seeds (the client learns the rest from them) or, with
        // ServiceName, the sentinels (the client asks them for the master and follows its failover).
        foreach (var endpoint in Endpoints(options))
        {
            configuration.EndPoints.Add(endpoint.Host, endpoint.Port);
        }

        if (options.RedisSsl)
        {
            configuration.SslHost = options.RedisTlsHost;

            // Not the client's TrustIssuer: it also accepts any certificate the system's store trusts, and one CA only.
            if (options.RedisTlsRoots is { } roots)
            {
                configuration.CertificateValidation += new RedisCertificateValidator(roots, options.RedisTlsCaFile!, logger, certificateRejected).Validate;
            }
            else if (certificateRejected is not null)
            {
                // The system's own check, unchanged; a refusal is only also told to the start-up check.
                configuration.CertificateValidation += (_, _, _, errors) =>
                {
                    if (errors != SslPolicyErrors.None)
                    {
                        certificateRejected(new AuthenticationException($"The Redis server certificate was refused by the system's trust store ({errors})."));
                    }

                    return errors == SslPolicyErrors.None;
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
    public static IReadOnlyList<DnsEndPoint> Endpoints(WaitingRoomOptions options) =>
        options.RedisEndpoints.Count > 0 ? options.RedisEndpoints : [new DnsEndPoint(options.RedisHost!, options.RedisPort)];
}
