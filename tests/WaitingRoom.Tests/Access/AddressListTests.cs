using System.Net;
using Microsoft.Extensions.Options;
using WaitingRoom.Tests.EndToEnd;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Access;

/// <summary>
/// WR_ALLOW_CIDRS, WR_DENY_CIDRS and the rooms' allowCidrs / denyCidrs through the real proxy, Redis
/// and backend, by the client address WR_TRUSTED_PROXIES yields (X-Forwarded-For from loopback,
/// trusted by default, unless the test says otherwise). Virtual time: nothing here moves by itself.
/// </summary>
public sealed class AddressListTests
{
    [Theory]
    [InlineData("198.51.100.0/24", "198.51.100.7", "198.51.101.7")]
    [InlineData("2001:db8::/32", "2001:db8:1::7", "2001:db9::7")]
    [InlineData("198.51.100.0/24", "::ffff:198.51.100.7", "::ffff:198.51.101.7")]
    [InlineData("::ffff:203.0.113.0/120", "203.0.113.9", "203.0.114.9")]
    [InlineData("192.0.2.7", "192.0.2.7", "192.0.2.8")]
    public async Task Get_DeniedNetwork_403AndNothingTakenInTheStore(string denied, string inside, string outside)
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(5, s => s["WR_DENY_CIDRS"] = "10.99.0.0/16, " + denied, RoomUnderTest.NewClock());

        // Act
        var json = await room.GetAsync("/echo", forwardedFor: inside);
        var page = await room.GetAsync("/echo", forwardedFor: inside, accept: "text/html");
        var used = await room.UsedAsync();
        var queued = await room.CountAsync("queue");
        var neighbour = await room.GetAsync("/echo", forwardedFor: outside);

        // Assert: no cookie, no entry, nothing forwarded; the address next door is let in.
        Assert.Equal((HttpStatusCode.Forbidden, """{"state":"denied"}"""), (json.Status, json.Body));
        Assert.Equal(HttpStatusCode.Forbidden, page.Status);
        Assert.Contains("Access denied", page.Body, StringComparison.Ordinal);
        Assert.Contains("""<meta name="robots" content="noindex">""", page.Body, StringComparison.Ordinal);
        Assert.Equal(["noindex"], page.Headers.GetValues("X-Robots-Tag"));
        Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
        Assert.Null(json.Token);
        Assert.Null(page.Token);
        Assert.Equal((0, 0), (used, queued));
        Assert.True(neighbour.ReachedBackend, neighbour.Body);
        Assert.Equal(1, room.Backend.Requests);
    }

    [Fact]
    public async Task Get_DeniedAndAllowed_DenyWinsEvenOnABypassPath()
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(5, s =>
        {
            s["WR_ALLOW_CIDRS"] = "198.51.100.0/24";
            s["WR_DENY_CIDRS"] = "198.51.100.128/25";
            s["WR_BYPASS_PATHS"] = "/static";
        }, RoomUnderTest.NewClock());

        // Act
        var page = await room.GetAsync("/echo", forwardedFor: "198.51.100.200");
        var asset = await room.GetAsync("/static/app.js", forwardedFor: "198.51.100.200");
        var allowed = await room.GetAsync("/echo", forwardedFor: "198.51.100.1");

        // Assert
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (page.Status, asset.Status));
        Assert.True(allowed.ReachedBackend, allowed.Body);
        Assert.Equal(1, room.Backend.Requests);
    }

    [Theory]
    [InlineData("203.0.113.0/24", "203.0.113.50")]
    [InlineData("2001:db8:42::/48", "2001:db8:42::50")]
    [InlineData("203.0.113.0/24", "::ffff:203.0.113.50")]
    public async Task Get_AllowedNetworkWhileTheRoomIsFull_ForwardedWithoutAPlace(string allowed, string address)
    {
        // Arrange: the only slot is taken.
        await using var room = await RoomUnderTest.StartAsync(1, s => s["WR_ALLOW_CIDRS"] = allowed, RoomUnderTest.NewClock());
        await room.TakeOnlySlotAsync("198.51.100.1");

        // Act
        var first = await room.GetAsync("/echo", forwardedFor: address);
        var second = await room.GetAsync("/echo", forwardedFor: address);
        var stranger = await room.GetAsync("/echo", forwardedFor: "198.51.100.2");

        // Assert: like the bypass header, no cookie and nothing in the store; anyone else queues.
        Assert.True(first.ReachedBackend && second.ReachedBackend, first.Body);
        Assert.Null(first.Token);
        Assert.Equal("queued", stranger.State);
        Assert.Equal((1, 1), (await room.UsedAsync(), await room.CountAsync("queue")));
    }

    [Theory]
    [InlineData(null, "127.0.0.1", null, true)] // direct: the peer's own address
    [InlineData("127.0.0.0/8", "198.51.100.0/24", "198.51.100.7", true)] // through a trusted proxy
    [InlineData("10.9.9.9", "198.51.100.0/24", "198.51.100.7", false)] // the peer is not trusted: its X-Forwarded-For is ignored
    [InlineData("10.9.9.9", "127.0.0.1", "198.51.100.7", true)] // ... and the peer's own address counts
    public async Task Get_ForwardedFor_OnlyATrustedProxysCounts(string? trusted, string denied, string? forwardedFor, bool expectDenied)
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(5, s =>
        {
            s["WR_DENY_CIDRS"] = denied;
            s["WR_TRUSTED_PROXIES"] = trusted;
        }, RoomUnderTest.NewClock());

        // Act
        var answer = await room.GetAsync("/echo", forwardedFor: forwardedFor);

        // Assert
        Assert.Equal(expectDenied, answer.Status == HttpStatusCode.Forbidden);
        Assert.Equal(!expectDenied, answer.ReachedBackend);
    }

    [Fact]
    public async Task Get_RoomsFileLists_AddToTheGlobalOnesInTheirRoomOnly()
    {
        // Arrange: one slot in each room, both taken.
        using var file = new TempFile("""
            {
              "rooms": [
                { "name": "sale", "path": "/sale", "maxActive": 1, "allowCidrs": ["203.0.113.0/24"], "denyCidrs": ["198.51.100.0/24", "2001:db8::/32"] }
              ]
            }
            """);
        await using var room = await RoomUnderTest.StartAsync(1, s =>
        {
            s["WR_ROOMS_FILE"] = file.Path;
            s["WR_DENY_CIDRS"] = "192.0.2.0/24";
        }, RoomUnderTest.NewClock());
        Assert.True((await room.GetAsync("/sale/a", forwardedFor: "198.18.0.1")).ReachedBackend);
        Assert.True((await room.GetAsync("/echo", forwardedFor: "198.18.0.2")).ReachedBackend);

        // Act
        var deniedInSale = await room.GetAsync("/sale/a", forwardedFor: "198.51.100.7");
        var deniedV6InSale = await room.GetAsync("/sale/a", forwardedFor: "2001:db8::7");
        var globalInSale = await room.GetAsync("/sale/a", forwardedFor: "192.0.2.1");
        var allowedInSale = await room.GetAsync("/sale/a", forwardedFor: "203.0.113.5");
        var saleDeniedElsewhere = await room.GetAsync("/echo", forwardedFor: "198.51.100.7");
        var saleAllowedElsewhere = await room.GetAsync("/echo", forwardedFor: "203.0.113.5");

        // Assert
        Assert.Equal(HttpStatusCode.Forbidden, deniedInSale.Status);
        Assert.Equal(HttpStatusCode.Forbidden, deniedV6InSale.Status);
        Assert.Equal(HttpStatusCode.Forbidden, globalInSale.Status);
        Assert.True(allowedInSale.ReachedBackend, allowedInSale.Body);
        Assert.Equal("queued", saleDeniedElsewhere.State);
        Assert.Equal("queued", saleAllowedElsewhere.State);
        Assert.Equal((1, 0), (await room.UsedAsync("sale"), await room.CountAsync("queue", "sale")));
    }

    [Theory]
    [InlineData("WR_ALLOW_CIDRS", "10.0.0.0/8,10.0.0.0/33")]
    [InlineData("WR_DENY_CIDRS", "not-a-network")]
    [InlineData("WR_CRAWLER_CIDRS", "66.249.64.0/19")]
    [InlineData("WR_CRAWLERS", "bypass")]
    [InlineData("WR_QUEUE_STATUS", "201")]
    public async Task StartAsync_BadVariable_FailsNamingIt(string name, string value)
    {
        // Arrange
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings[name] = value;

        // Act
        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var proxy = await ProxyInstance.StartAsync(settings);
        });

        // Assert
        var failure = Assert.Single(error.Failures);
        Assert.StartsWith(name + "=", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_RoomsFileWithBadNetwork_FailsCitingTheLine()
    {
        // Arrange
        using var file = new TempFile("""
            {
              "rooms": [
                { "name": "sale", "path": "/sale",
                  "denyCidrs": ["198.51.100.0/24", "198.51.100.0/40"] }
              ]
            }
            """);
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_ROOMS_FILE"] = file.Path;

        // Act
        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var proxy = await ProxyInstance.StartAsync(settings);
        });

        // Assert
        var failure = Assert.Single(error.Failures);
        Assert.StartsWith($"WR_ROOMS_FILE='{file.Path}' is not valid: line 4: 'denyCidrs[1]' must be a string:", failure, StringComparison.Ordinal);
        Assert.EndsWith("got \"198.51.100.0/40\"", failure, StringComparison.Ordinal);
    }

    /// <summary>A file in the temp folder, deleted afterwards.</summary>
    internal sealed class TempFile : IDisposable
    {
        public TempFile(string text)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "wr-access-" + Guid.NewGuid().ToString("N") + ".json");
            File.WriteAllText(Path, text);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
