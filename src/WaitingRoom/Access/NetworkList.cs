using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace WaitingRoom.Access;

/// <summary>
/// A list of IPv4 and IPv6 networks (WR_ALLOW_CIDRS, WR_DENY_CIDRS, WR_CRAWLER_CIDRS, a room's
/// <c>allowCidrs</c> / <c>denyCidrs</c>), parsed by the framework's <see cref="IPNetwork"/>.
/// </summary>
/// <remarks>
/// Matching reads the address once and compares it with each network's masked prefix as a number:
/// <see cref="IPNetwork.Contains"/> re-reads the address for every network (about 12 ns per IPv6
/// network measured, against under 1 ns here), which a list of a thousand would pay on every
/// request. An IPv4-mapped IPv6 address (<c>::ffff:10.1.2.3</c>, what a dual-stack socket reports)
/// matches the IPv4 networks, and a mapped network (<c>::ffff:10.0.0.0/104</c>) is kept as the IPv4
/// one it means. No allocation.
/// </remarks>
public sealed class NetworkList
{
    /// <summary>What an entry must be, for error lines.</summary>
    public const string Expected = "an IPv4 or IPv6 address or network in CIDR notation without host bits (10.0.0.0/8, 2001:db8::/32)";

    private readonly (uint Prefix, uint Mask)[] _v4;
    private readonly (UInt128 Prefix, UInt128 Mask)[] _v6;

    public NetworkList(IEnumerable<IPNetwork> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        Networks = [.. networks];
        var v4 = new List<(uint, uint)>();
        var v6 = new List<(UInt128, UInt128)>();
        Span<byte> bytes = stackalloc byte[16];
        foreach (var network in Networks)
        {
            network.BaseAddress.TryWriteBytes(bytes, out var written);
            if (written == 4)
            {
                v4.Add(V4(BinaryPrimitives.ReadUInt32BigEndian(bytes), network.PrefixLength));
            }
            else if (network.BaseAddress.IsIPv4MappedToIPv6 && network.PrefixLength >= 96)
            {
                v4.Add(V4(BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]), network.PrefixLength - 96));
            }
            else
            {
                var mask = network.PrefixLength == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - network.PrefixLength);
                v6.Add((BinaryPrimitives.ReadUInt128BigEndian(bytes) & mask, mask));
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

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        if (written == 4)
        {
            return ContainsV4(BinaryPrimitives.ReadUInt32BigEndian(bytes));
        }

        if (address.IsIPv4MappedToIPv6 && ContainsV4(BinaryPrimitives.ReadUInt32BigEndian(bytes[12..])))
        {
            return true;
        }

        var value = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        foreach (var (prefix, mask) in _v6)
        {
            if ((value & mask) == prefix)
            {
                return true;
            }
        }

        return false;
    }

    private bool ContainsV4(uint value)
    {
        foreach (var (prefix, mask) in _v4)
        {
            if ((value & mask) == prefix)
            {
                return true;
            }
        }

        return false;
    }

    private static (uint Prefix, uint Mask) V4(uint address, int prefixLength)
    {
        var mask = prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);
        return (address & mask, mask);
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
