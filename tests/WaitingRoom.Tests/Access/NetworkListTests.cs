using System.Net;
using WaitingRoom.Access;
using Xunit;

namespace WaitingRoom.Tests.Access;

public sealed class NetworkListTests
{
    private static NetworkList ListOf(params string[] entries) =>
        new(entries.Select(entry => NetworkList.TryParse(entry, out var network) ? network : throw new ArgumentException(entry)));

    [Theory]
    [InlineData("10.0.0.0/8", "10.255.1.2", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("192.0.2.7", "192.0.2.7", true)]
    [InlineData("192.0.2.7", "192.0.2.8", false)]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "2001:db9::1", false)]
    [InlineData("2001:db8::1", "2001:db8::1", true)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "::ffff:11.1.2.3", false)]
    [InlineData("::ffff:203.0.113.0/120", "203.0.113.9", true)]
    [InlineData("::ffff:203.0.113.0/120", "::ffff:203.0.113.9", true)]
    [InlineData("::ffff:203.0.113.0/120", "203.0.114.9", false)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("0.0.0.0/0", "::ffff:192.0.2.1", true)]
    [InlineData("::/0", "::ffff:192.0.2.1", true)]
    [InlineData("2001:db8::/32", "192.0.2.1", false)]
    [InlineData("::fffe:0:0/95", "::ffff:192.0.2.1", true)]
    [InlineData("::/0", "2001:db8::1", true)]
    public void Contains_AddressAndNetwork_MatchesByFamilyAndMapping(string network, string address, bool expected)
    {
        // Arrange
        var list = ListOf(network);

        // Act
        var contains = list.Contains(IPAddress.Parse(address));

        // Assert
        Assert.Equal(expected, contains);
    }

    [Theory]
    [InlineData("10.0.0.1/8")]
    [InlineData("10")]
    [InlineData("10.1")]
    [InlineData("10.0.0.0/33")]
    [InlineData("2001:db8::/129")]
    [InlineData("fe80::1%2")]
    [InlineData("example.com")]
    [InlineData("")]
    public void TryParse_NotANetwork_False(string text)
    {
        // Act & Assert
        Assert.False(NetworkList.TryParse(text, out _));
    }

    [Fact]
    public void Contains_NoAddressOrEmptyList_False()
    {
        // Act & Assert
        Assert.False(ListOf("10.0.0.0/8").Contains(null));
        Assert.False(NetworkList.Empty.Contains(IPAddress.Loopback));
    }

    [Fact]
    public void Contains_HotPath_AllocatesNothing()
    {
        // Arrange: a list of 50 networks of both families, addresses of each kind, one miss.
        var list = ListOf([.. Enumerable.Range(0, 25).Select(i => $"10.{i}.0.0/16"), .. Enumerable.Range(0, 25).Select(i => $"2001:db8:{i:x}::/48")]);
        IPAddress[] addresses = [IPAddress.Parse("10.24.1.1"), IPAddress.Parse("::ffff:10.24.1.1"), IPAddress.Parse("2001:db8:18::1"), IPAddress.Parse("198.51.100.1")];
        foreach (var address in addresses)
        {
            list.Contains(address);
        }

        // Act
        var before = GC.GetAllocatedBytesForCurrentThread();
        var hits = 0;
        for (var i = 0; i < 10_000; i++)
        {
            hits += list.Contains(addresses[i % addresses.Length]) ? 1 : 0;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Assert
        Assert.Equal(7_500, hits);
        // Less than a byte per call: nothing per call (the runtime may allocate once while it recompiles the loop).
        Assert.InRange(allocated, 0, 9_999);
    }
}
