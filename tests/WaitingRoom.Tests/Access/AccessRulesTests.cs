using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Access;
using WaitingRoom.Configuration;
using WaitingRoom.Operations;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using Xunit;

namespace WaitingRoom.Tests.Access;

/// <summary>What a crawler gets from the room's mode and its last sampled numbers, in virtual time.</summary>
public sealed class AccessRulesTests
{
    private const string Googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-03T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly RoomMonitor _monitor = new();

    private AccessRules Rules(CrawlerMode mode = CrawlerMode.Unavailable) =>
        new(Options.Create(new WaitingRoomOptions { Crawlers = mode, ReleaseInterval = TimeSpan.FromSeconds(2) }), _monitor, _clock);

    private static HttpRequest Request(string userAgent)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.UserAgent = userAgent;
        return context.Request;
    }

    [Fact]
    public void Crawler_NoSampleYet_Deferred()
    {
        // Act & Assert: "free" is never claimed without the room's numbers.
        Assert.Equal(CrawlerVerdict.Deferred, Rules().Crawler(Request(Googlebot), null, new RoomSettings()));
    }

    [Theory]
    [InlineData(0, 0, 0, 5, true)]
    [InlineData(4, 0, 0, 5, true)]
    [InlineData(4, 1, 0, 5, false)] // a released visitor holds the last slot
    [InlineData(5, 0, 0, 5, false)]
    [InlineData(0, 0, 1, 5, false)] // someone waits: nobody passes them
    [InlineData(2, 0, 0, 2, false)] // the adaptive capacity in force, not WR_MAX_ACTIVE
    public void Crawler_SampledNumbers_ForwardedOnlyWhileANewcomerWouldBeAdmitted(long active, long released, long queued, int capacity, bool forwarded)
    {
        // Arrange
        _monitor.Record("default", new RoomCounts(active, released, queued, 0), capacity, _clock.GetUtcNow());

        // Act & Assert
        var expected = forwarded ? CrawlerVerdict.Forward : CrawlerVerdict.Deferred;
        Assert.Equal(expected, Rules().Crawler(Request(Googlebot), null, new RoomSettings { MaxActive = 5 }));
    }

    [Fact]
    public void Crawler_SampleOlderThanThreeReleaseIntervalsAndTenSeconds_Deferred()
    {
        // Arrange
        _monitor.Record("default", new RoomCounts(0, 0, 0, 0), 5, _clock.GetUtcNow());
        var rules = Rules();
        _clock.Advance(TimeSpan.FromSeconds(9));
        var fresh = rules.Crawler(Request(Googlebot), null, new RoomSettings());

        // Act
        _clock.Advance(TimeSpan.FromSeconds(2));
        var stale = rules.Crawler(Request(Googlebot), null, new RoomSettings());

        // Assert
        Assert.Equal((CrawlerVerdict.Forward, CrawlerVerdict.Deferred), (fresh, stale));
    }

    [Fact]
    public void Crawler_PassthroughRoom_ForwardedEvenWithoutNumbers()
    {
        // Act & Assert
        Assert.Equal(CrawlerVerdict.Forward, Rules().Crawler(Request(Googlebot), null, new RoomSettings { QueueMode = QueueMode.Passthrough }));
    }

    [Fact]
    public void Crawler_BrowserOrQueueMode_AVisitor()
    {
        // Act & Assert
        Assert.Equal(CrawlerVerdict.Visitor, Rules().Crawler(Request("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"), null, new RoomSettings()));
        Assert.Equal(CrawlerVerdict.Visitor, Rules(CrawlerMode.Queue).Crawler(Request(Googlebot), null, new RoomSettings()));
    }
}
