using System.Net;
using System.Net.Sockets;

namespace WaitingRoom.Admission;

/// <summary>
/// The key the per-client newcomer cap (WR_MAX_NEW_PER_IP_PER_MINUTE) counts under: the IPv4 address,
/// or the /64 of an IPv6 one (a subscriber holds a whole /64 and could rotate past a per-address cap).
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
