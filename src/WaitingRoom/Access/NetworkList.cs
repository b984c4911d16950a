using System.Net;
using System.Net.Sockets;

namespace WaitingRoom.Access;

/// <summary>
/// A list of IPv4 and IPv6 networks (WR_ALLOW_CIDRS, WR_DENY_CIDRS, WR_CRAWLER_CIDRS, a room's
/// <c>allowCidrs</c> / <c>denyCidrs</c>), matched with the framework's <see cref="IPNetwork.Contains"/>.
/// </summary>
/// <remarks>
/// An IPv4 network is also kept as its IPv4-mapped IPv6 twin (<c>10.0.0.0/8</c> is
/// <c>::ffff:10.0.0.0/104</c>) and a mapped network as its IPv4 one, so an address that a dual-stack
/// socket reports as <c>::ffff:10.1.2.3</c> matches <c>10.0.0.0/8</c> without converting it
/// (<see cref="IPAddress.MapToIPv4"/> would allocate on every request). Matching is a scan of the
/// networks of the address's family: no allocation, about a nanosecond per network (README).
/// </remarks>
public sealed class NetworkList
{
    /// <summary>What an entry must be, for error lines.</summary>
    public const string Expected = "an IPv4 or IPv6 address or network in CIDR notation without host bits (10.0.0.0/8, 2001:db8::/32)";

    private readonly IPNetwork[] _v4;
    private readonly IPNetwork[] _v6;

    public NetworkList(IEnumerable<IPNetwork> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        Networks = [.. networks];
        var v4 = new List<IPNetwork>();
        var v6 = new List<IPNetwork>();
        foreach (var network in Networks)
        {
            if (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
            {
                v4.Add(network);
                v6.Add(new IPNetwork(network.BaseAddress.MapToIPv6(), network.PrefixLength + 96));
            }
            else
            {
                v6.Add(network);
                if (network.BaseAddress.IsIPv4MappedToIPv6 && network.PrefixLength >= 96)
                {
                    v4.Add(new IPNetwork(network.BaseAddress.MapToIPv4(), network.PrefixLength - 96));
                }
            }
        }

        (_v4, _v6) = ([.. v4], [.. v6]);
    }

    /// <summary>No network: matches nothing.</summary>
    public static NetworkList Empty { get; } = new([]);

    /// <summary>The networks as configured (for reports).</summary>
    public IReadOnlyList<IPNetwork> Networks { get; }

    public bool IsEmpty => Networks.Count == 0;

    /// <summary>True when <paramref name="address"/> is inside one of the networks; false for no address.</summary>
    public bool Contains(IPAddress? address)
    {
        if (address is null || IsEmpty)
        {
            return false;
        }

        var networks = address.AddressFamily == AddressFamily.InterNetwork ? _v4 : _v6;
        for (var i = 0; i < networks.Length; i++)
        {
            if (networks[i].Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// One entry: a network in CIDR notation whose address is the network's own (10.0.0.1/8 is
    /// refused) or a bare address, a single host (/32, /128).
    /// </summary>
    public static bool TryParse(string text, out IPNetwork network)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IPNetwork.TryParse(text, out network))
        {
            // The framework masks host bits (10.0.0.1/8 becomes 10.0.0.0/8); in a deny or allow
            // list that is most likely a typo for a single host, so it is refused, not widened.
            return IPAddress.TryParse(text.AsSpan(0, text.IndexOf('/', StringComparison.Ordinal)), out var written) && written.Equals(network.BaseAddress);
        }

        // A bare address only: IPAddress.TryParse also reads "10" or "10.1" as addresses, which nobody means.
        network = default;
        var looksLikeAddress = !text.Contains('/', StringComparison.Ordinal) && (text.Contains(':', StringComparison.Ordinal) || text.Count(c => c == '.') == 3);
        if (!looksLikeAddress || !IPAddress.TryParse(text, out var address) || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0))
        {
            return false;
        }

        network = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }

    /// <summary>The networks as an operator writes them, comma-separated.</summary>
    public override string ToString() => string.Join(',', Networks);
}
