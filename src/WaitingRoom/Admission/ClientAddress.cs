using System.Net;
using System.Net.Sockets;

namespace WaitingRoom.Admission;

/// <summary>
/// The key the per-client newcomer cap (WR_MAX_NEW_PER_IP_PER_MINUTE) counts under: the IPv4
/// address, or the /64 network of an IPv6 address (one subscriber usually holds a whole /64, so
/// counting single IPv6 addresses would let a client rotate its way past the cap). The address is
/// the connection's, or the one a trusted proxy put in X-Forwarded-For (WR_TRUSTED_PROXIES).
/// </summary>
internal static class ClientAddress
{
    public static string? KeyOf(IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
