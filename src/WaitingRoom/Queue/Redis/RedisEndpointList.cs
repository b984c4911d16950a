using System.Globalization;
using System.Net;

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

    /// <summary>Parses the list; false (and no endpoints) when any part is not a host with an optional port 1–65535.</summary>
    public static bool TryParse(string value, int defaultPort, out IReadOnlyList<DnsEndPoint> endpoints)
    {
        var list = new List<DnsEndPoint>();
        endpoints = list;
        foreach (var raw in value.Split(','))
        {
            var part = raw.Trim();
            if (!TryParseOne(part, defaultPort, out var endpoint) || list.Any(e => SameNode(e, endpoint)))
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

    private static bool TryParseOne(string part, int defaultPort, out DnsEndPoint endpoint)
    {
        endpoint = null!;
        string host;
        var port = defaultPort;
        if (part.StartsWith('['))
        {
            // [IPv6] or [IPv6]:port
            var close = part.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || !IPAddress.TryParse(part[1..close], out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return false;
            }

            host = part[1..close];
            var rest = part[(close + 1)..];
            if (rest.Length > 0 && (rest[0] != ':' || !TryPort(rest[1..], out port)))
            {
                return false;
            }
        }
        else if (part.Count(c => c == ':') > 1)
        {
            // A bare IPv6 address: no port can follow it without brackets.
            if (!IPAddress.TryParse(part, out _))
            {
                return false;
            }

            host = part;
        }
        else
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            host = colon < 0 ? part : part[..colon];
            if (colon >= 0 && !TryPort(part[(colon + 1)..], out port))
            {
                return false;
            }

            if (!IsHostName(host))
            {
                return false;
            }
        }

        endpoint = new DnsEndPoint(host, port);
        return true;
    }

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;

    /// <summary>A DNS name (a final dot allowed) or an IPv4 address: labels of letters, digits, '-' and '_', separated by dots.</summary>
    private static bool IsHostName(string host) =>
        host.Length is > 0 and <= 253 &&
        (host.EndsWith('.') ? host[..^1] : host).Split('.').All(label => label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));

    private static bool SameNode(DnsEndPoint a, DnsEndPoint b) =>
        a.Port == b.Port && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase);
}
