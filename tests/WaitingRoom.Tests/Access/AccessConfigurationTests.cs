using Microsoft.Extensions.Configuration;
using WaitingRoom.Access;
using WaitingRoom.Configuration;
using Xunit;

namespace WaitingRoom.Tests.Access;

/// <summary>WR_ALLOW_CIDRS, WR_DENY_CIDRS, WR_CRAWLERS, WR_CRAWLER_CIDRS and WR_QUEUE_STATUS as the reader takes them.</summary>
public sealed class AccessConfigurationTests
{
    private static IConfiguration Configuration(params (string Name, string? Value)[] variables) =>
        new ConfigurationBuilder().AddInMemoryCollection(variables.ToDictionary(v => v.Name, v => v.Value)).Build();

    private static string SingleError(params (string Name, string? Value)[] variables)
    {
        var error = Assert.Throws<WaitingRoomConfigurationException>(() => WaitingRoomOptionsReader.Read(Configuration(variables)));
        return Assert.Single(error.Errors);
    }

    [Fact]
    public void Read_NothingSet_NoListsCrawlersUnavailableStatus200()
    {
        // Act
        var options = WaitingRoomOptionsReader.Read(Configuration());

        // Assert
        Assert.True(options.AllowCidrs.IsEmpty && options.DenyCidrs.IsEmpty && options.CrawlerCidrs.IsEmpty);
        Assert.Equal((CrawlerMode.Unavailable, 200), (options.Crawlers, options.QueueStatus));
    }

    [Fact]
    public void Read_Lists_NetworksAndBareAddressesAsHosts()
    {
        // Act
        var options = WaitingRoomOptionsReader.Read(Configuration(
            ("WR_ALLOW_CIDRS", "10.0.0.0/8, 2001:db8::/32"), ("WR_DENY_CIDRS", "192.0.2.7,2001:db8::1"),
            ("WR_CRAWLERS", "Bypass"), ("WR_CRAWLER_CIDRS", "66.249.64.0/19"), ("WR_QUEUE_STATUS", "503")));

        // Assert
        Assert.Equal(["10.0.0.0/8", "2001:db8::/32"], options.AllowCidrs.Networks.Select(n => n.ToString()));
        Assert.Equal(["192.0.2.7/32", "2001:db8::1/128"], options.DenyCidrs.Networks.Select(n => n.ToString()));
        Assert.Equal((CrawlerMode.Bypass, "66.249.64.0/19", 503), (options.Crawlers, options.CrawlerCidrs.ToString(), options.QueueStatus));
    }

    [Theory]
    [InlineData("WR_ALLOW_CIDRS", "10.0.0.0/8, office", "WR_ALLOW_CIDRS='10.0.0.0/8, office' is not valid: expected comma-separated IPv4 or IPv6 addresses or networks without host bits (10.0.0.0/8, 2001:db8::/32), and 'office' is not one.")]
    [InlineData("WR_DENY_CIDRS", "10.0.0.1/8", "WR_DENY_CIDRS='10.0.0.1/8' is not valid: expected comma-separated IPv4 or IPv6 addresses or networks without host bits (10.0.0.0/8, 2001:db8::/32), and '10.0.0.1/8' is not one.")]
    [InlineData("WR_DENY_CIDRS", "2001:db8::/129", "WR_DENY_CIDRS='2001:db8::/129' is not valid: expected comma-separated IPv4 or IPv6 addresses or networks without host bits (10.0.0.0/8, 2001:db8::/32), and '2001:db8::/129' is not one.")]
    [InlineData("WR_CRAWLERS", "allow", "WR_CRAWLERS='allow' is not valid: expected one of unavailable, queue, bypass.")]
    [InlineData("WR_QUEUE_STATUS", "404", "WR_QUEUE_STATUS='404' is not valid: expected one of 200, 202, 429, 503.")]
    [InlineData("WR_CRAWLER_CIDRS", "66.249.64.0/19", "WR_CRAWLER_CIDRS='66.249.64.0/19' is not valid: it only applies with WR_CRAWLERS=bypass: set WR_CRAWLERS=bypass, or unset WR_CRAWLER_CIDRS.")]
    public void Read_BadVariable_OneLineNamingIt(string name, string value, string expected)
    {
        // Act & Assert
        Assert.Equal(expected, SingleError((name, value)));
    }

    [Fact]
    public void Read_BypassWithoutCrawlerNetworks_FailsNamingBoth()
    {
        // Act
        var line = SingleError(("WR_CRAWLERS", "bypass"));

        // Assert
        Assert.Equal("WR_CRAWLERS='bypass' needs WR_CRAWLER_CIDRS: list the crawlers' published networks (a user agent alone is never trusted for a bypass).", line);
    }

    [Fact]
    public void Read_RoomsFileWithBadNetwork_CitesTheLineAndTheEntry()
    {
        // Arrange
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """
            {
              "rooms": [
                {
                  "name": "sale", "path": "/sale",
                  "allowCidrs": ["10.0.0.0/8"],
                  "denyCidrs": ["192.0.2.0/24",
                                "192.0.2.300"]
                },
                { "name": "news", "path": "/news", "allowCidrs": "10.0.0.0/8" }
              ]
            }
            """);
        try
        {
            // Act
            var error = Assert.Throws<WaitingRoomConfigurationException>(() => WaitingRoomOptionsReader.Read(Configuration(("WR_ROOMS_FILE", file))));

            // Assert
            Assert.Equal(
                [
                    $"WR_ROOMS_FILE='{file}' is not valid: line 7: 'denyCidrs[1]' must be a string: {NetworkList.Expected}, got \"192.0.2.300\"",
                    $"WR_ROOMS_FILE='{file}' is not valid: line 9: 'allowCidrs' must be an array of networks, such as [\"10.0.0.0/8\", \"2001:db8::/32\"], got \"10.0.0.0/8\"",
                ],
                error.Errors);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Read_RoomsFileLists_KeptPerRoomAndNotInherited()
    {
        // Arrange
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """{"rooms":[{"name":"sale","path":"/sale","allowCidrs":["203.0.113.0/24"],"denyCidrs":["2001:db8::/32"]},{"name":"news","path":"/news"}]}""");
        try
        {
            // Act
            var options = WaitingRoomOptionsReader.Read(Configuration(("WR_ROOMS_FILE", file), ("WR_DENY_CIDRS", "192.0.2.0/24")));

            // Assert
            var (sale, news) = (options.Rooms[1], options.Rooms[2]);
            Assert.Equal(("203.0.113.0/24", "2001:db8::/32"), (sale.AllowCidrs.ToString(), sale.DenyCidrs.ToString()));
            Assert.True(news.AllowCidrs.IsEmpty && news.DenyCidrs.IsEmpty && options.DefaultRoom.DenyCidrs.IsEmpty);
            Assert.Equal("192.0.2.0/24", options.DenyCidrs.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("allowCidrs")]
    [InlineData("denyCidrs")]
    public void ApplyOverrides_AddressList_RefusedAtRunTime(string key)
    {
        // Arrange
        var configured = new WaitingRoom.Rooms.RoomSettings { Name = "sale", Path = "/sale" };
        var errors = new List<string>();

        // Act
        var room = WaitingRoom.Rooms.RoomsFileReader.ApplyOverrides($$"""{"{{key}}": ["10.0.0.0/8"]}""", configured, errors);

        // Assert: the lists decide who the room takes, like bypassPaths, so only the file sets them.
        Assert.Null(room);
        Assert.Equal([$"'{key}' cannot be changed at run time: it decides which requests the room takes (change WR_ROOMS_FILE and restart)"], errors);
    }
}
