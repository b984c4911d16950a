using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace WaitingRoom.Queue;

/// <summary>
/// The Redis nodes of WR_REDIS_HOST: one host, or several seed nodes of a Redis Cluster,
/// comma-separated, each <c>host</c>, <c>host:port</c>, an IPv4 or IPv6 address, or
/// <c>[IPv6]:port</c>. A node without a port uses WR_REDIS_PORT. The client connects to every
/// seed it can reach and learns the rest of the cluster from them, so any one seed being down
/// does not stop the proxy from starting.
/// </summary>
internal static class RedisEndpointList
{
    /// <summary>What WR_REDIS_HOST allows, for the error line.</summary>
    public const string Allowed = "expected a host name or address, or several comma-separated host[:port] (IPv6 as [address]:port); use WR_REDIS_URL for a redis:// URL";

    /// <summary>Parses the list; false (and no endpoints) when any part is not a host with an optional port 1–65535, or a node comes twice.</summary>
    public static bool TryParse(string value, int defaultPort, out IReadOnlyList<DnsEndPoint> endpoints)
    {
        var list = new List<DnsEndPoint>();
        endpoints = list;
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (ParseOne(part, defaultPort) is not { } endpoint || list.Any(e => e.Port == endpoint.Port && string.Equals(e.Host, endpoint.Host, StringComparison.OrdinalIgnoreCase)))
            {
                list.Clear();
                return false;
            }

            list.Add(endpoint);
        }

        return list.Count > 0;
    }

    /// <summary>The nodes as an operator writes them: <c>host:port</c>, IPv6 in brackets, comma-separated.</summary>
    public static string Format(IEnumerable<DnsEndPoint> endpoints) =>
        string.Join(", ", endpoints.Select(e => $"{(e.Host.Contains(':', StringComparison.Ordinal) && !e.Host.StartsWith('[') ? $"[{e.Host}]" : e.Host)}:{e.Port.ToString(CultureInfo.InvariantCulture)}"));

    /// <summary>
    /// The client's parser splits host and port, but it takes any text for a host name, a bracketed
    /// name, and a port of 0 or none alike, so what WR_REDIS_HOST may hold is checked here.
    /// </summary>
    private static DnsEndPoint? ParseOne(string part, int defaultPort)
    {
        EndPoint? parsed;
        try
        {
            parsed = EndPointCollection.TryParse(part);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null; // a port past 65535
        }

        var bracketed = part.StartsWith('[');
        var hasPort = bracketed ? part.Contains("]:", StringComparison.Ordinal) : part.Count(c => c == ':') == 1;
        var (host, port) = parsed switch
        {
            IPEndPoint { Address.AddressFamily: AddressFamily.InterNetworkV6 } ip when !bracketed || hasPort || part.EndsWith(']') => (ip.Address.ToString(), ip.Port),
            IPEndPoint ip when !bracketed => (part.Split(':')[0], ip.Port),
            DnsEndPoint dns when !bracketed && IsHostName(dns.Host) => (dns.Host, dns.Port),
            _ => (null, 0),
        };
        return host is null || (hasPort && port is < 1 or > 65535) ? null : new DnsEndPoint(host, hasPort ? port : defaultPort);
    }

    /// <summary>A DNS name (a final dot allowed): labels of letters, digits, '-' and '_', separated by dots.</summary>
    private static bool IsHostName(string host) =>
        host.Length is > 0 and <= 253 &&
        (host.EndsWith('.') ? host[..^1] : host).Split('.').All(label => label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
}
