using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WaitingRoom.Access;
using WaitingRoom.Configuration;
using WaitingRoom.Operations;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using WaitingRoom.Tests.EndToEnd;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Access;

/// <summary>
/// WR_CRAWLERS through the real proxy, Redis and backend, in virtual time: the room's numbers a
/// crawler is judged by are sampled only when the test says so (<see cref="SampleAsync"/>).
/// </summary>
public sealed class CrawlerTests
{
    private const string Googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    private static readonly Dictionary<string, string> s_crawler = new() { ["User-Agent"] = Googlebot };

    [Fact]
    public async Task Get_CrawlerWhileTheRoomAdmitsFreely_ForwardedWithoutAPlace()
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(5, clock: RoomUnderTest.NewClock());
        await SampleAsync(room);

        // Act
        var answer = await room.GetAsync("/echo", forwardedFor: "66.249.66.1", headers: s_crawler);

        // Assert: the real page, no cookie, no slot.
        Assert.True(answer.ReachedBackend, answer.Body);
        Assert.Null(answer.Token);
        Assert.Equal(0, await room.UsedAsync());
    }

    [Fact]
    public async Task Get_CrawlerWhileTheRoomQueues_503WithRetryAfterAndNoIndexAndNoPlace()
    {
        // Arrange: the only slot is taken, and the room knows it.
        await using var room = await RoomUnderTest.StartAsync(1, clock: RoomUnderTest.NewClock());
        await room.TakeOnlySlotAsync("198.51.100.1");
        await SampleAsync(room);

        // Act
        var page = await room.GetAsync("/product/42", forwardedFor: "66.249.66.1", accept: "text/html", headers: s_crawler);
        var json = await room.GetAsync("/product/42", forwardedFor: "66.249.66.1", headers: s_crawler);

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, page.Status);
        Assert.Equal(TimeSpan.FromSeconds(300), page.Headers.RetryAfter?.Delta);
        Assert.Equal(["noindex"], page.Headers.GetValues("X-Robots-Tag"));
        Assert.Contains("""<meta name="robots" content="noindex">""", page.Body, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "unknown", "crawler-deferred"), (json.Status, json.State, json.Text("error")));
        Assert.Null(page.Token);
        Assert.Equal((1, 0), (await room.UsedAsync(), await room.CountAsync("queue")));
        Assert.Equal(1, room.Backend.Requests);
    }

    [Fact]
    public async Task Get_CrawlerInQueueAllMode_DeferredWithoutAPlace()
    {
        // Arrange: a room that lets nobody in, however empty.
        await using var room = await RoomUnderTest.StartAsync(5, s => s["WR_QUEUE_MODE"] = "queue-all", RoomUnderTest.NewClock());
        await SampleAsync(room);

        // Act
        var answer = await room.GetAsync("/echo", headers: s_crawler);

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
        Assert.Equal(0, await room.CountAsync("queue"));
    }

    [Fact]
    public void Crawler_WhileTheRoomsNumbersAreStale_Deferred()
    {
        // Arrange: a free room's numbers, recorded by hand: nothing refreshes them while the clock
        // moves, as when the store stops answering (through the real proxy, moving the fake clock
        // also fires SharedStateSync's timer, whose fresh sample would race the request).
        var clock = RoomUnderTest.NewClock();
        var monitor = new RoomMonitor();
        var rules = new AccessRules(Options.Create(new WaitingRoomOptions { ReleaseInterval = TimeSpan.FromSeconds(60) }), monitor, clock);
        var room = new RoomSettings { MaxActive = 5 };
        monitor.Record(room.Name, new RoomCounts(0, 0, 0, 0), 5, clock.GetUtcNow());
        var request = new DefaultHttpContext().Request;
        request.Headers.UserAgent = Googlebot;
        var crawler = IPAddress.Parse("66.249.66.1");

        // Act: fresh, then past three release intervals.
        var fresh = rules.Crawler(request, crawler, room);
        clock.Advance(TimeSpan.FromSeconds(181));
        var stale = rules.Crawler(request, crawler, room);

        // Assert
        Assert.Equal(CrawlerVerdict.Forward, fresh);
        Assert.Equal(CrawlerVerdict.Deferred, stale);
    }

    [Fact]
    public async Task Get_CrawlerInQueueMode_QueuesLikeAVisitor()
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(1, s => s["WR_CRAWLERS"] = "queue", RoomUnderTest.NewClock());
        await room.TakeOnlySlotAsync("198.51.100.1");
        await SampleAsync(room);

        // Act
        var answer = await room.GetAsync("/echo", forwardedFor: "66.249.66.1", headers: s_crawler);

        // Assert
        Assert.Equal((HttpStatusCode.OK, "queued"), (answer.Status, answer.State));
        Assert.NotNull(answer.Token);
        Assert.Equal(1, await room.CountAsync("queue"));
    }

    [Fact]
    public async Task Get_CrawlerInBypassMode_ForwardedOnlyFromTheCrawlerNetworks()
    {
        // Arrange: a full room, crawlers bypass from 66.249.64.0/19 (and its IPv6 range) only.
        await using var room = await RoomUnderTest.StartAsync(1, s =>
        {
            s["WR_CRAWLERS"] = "bypass";
            s["WR_CRAWLER_CIDRS"] = "66.249.64.0/19, 2001:4860:4801::/48";
        }, RoomUnderTest.NewClock());
        await room.TakeOnlySlotAsync("198.51.100.1");
        await SampleAsync(room);

        // Act
        var listed = await room.GetAsync("/echo", forwardedFor: "66.249.66.1", headers: s_crawler);
        var listedV6 = await room.GetAsync("/echo", forwardedFor: "2001:4860:4801:10::1", headers: s_crawler);
        var impostor = await room.GetAsync("/echo", forwardedFor: "198.51.100.9", headers: s_crawler);
        var browserInTheNetwork = await room.GetAsync("/echo", forwardedFor: "66.249.66.2");

        // Assert: a user agent alone gets the unavailable answer; the network alone is just a visitor.
        Assert.True(listed.ReachedBackend, listed.Body);
        Assert.True(listedV6.ReachedBackend, listedV6.Body);
        Assert.Null(listed.Token);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, impostor.Status);
        Assert.Equal("queued", browserInTheNetwork.State);
        Assert.Equal((1, 1), (await room.UsedAsync(), await room.CountAsync("queue")));
    }

    [Fact]
    public async Task Get_ImpostorCrawlerInBypassModeWhileFree_ForwardedWithoutAPlaceLikeAnyCrawler()
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(5, s =>
        {
            s["WR_CRAWLERS"] = "bypass";
            s["WR_CRAWLER_CIDRS"] = "66.249.64.0/19";
        }, RoomUnderTest.NewClock());
        await SampleAsync(room);

        // Act
        var impostor = await room.GetAsync("/echo", forwardedFor: "198.51.100.9", headers: s_crawler);

        // Assert: it gets what everyone gets while the room is free, but never a place.
        Assert.True(impostor.ReachedBackend, impostor.Body);
        Assert.Equal(0, await room.UsedAsync());
    }

    /// <summary>One pass of the shared-state sync at the clock's time: the room's numbers crawlers are judged by.</summary>
    /// <summary>
    /// Samples the room's numbers now, after SharedStateSync's own pass at start has recorded its
    /// sample (a late start pass would overwrite this one with the numbers of before the test's requests).
    /// </summary>
    private static async Task SampleAsync(RoomUnderTest room)
    {
        var monitor = room.Proxy.Services.GetRequiredService<RoomMonitor>();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (monitor.LatestOf(RoomPolicy.DefaultName) is null && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
        }

        await room.Proxy.Services.GetServices<IHostedService>().OfType<SharedStateSync>().Single().RunOnceAsync(CancellationToken.None);
    }
}
