using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Admission;

public sealed class VisitorResponsesTests
{
    private static VisitorResponses Responses(double releaseIntervalSeconds = 2, double queueTtlSeconds = 60)
    {
        var options = Options.Create(new WaitingRoomOptions
        {
            ReleaseInterval = TimeSpan.FromSeconds(releaseIntervalSeconds),
            QueueTtl = TimeSpan.FromSeconds(queueTtlSeconds),
        });
        var pages = new VisitorPages(options, new FakeHostEnvironment(), NullLogger<VisitorPages>.Instance);
        return new VisitorResponses(pages, new PromotionRates(TimeProvider.System), TimeProvider.System, options);
    }

    private static HttpRequest Request(string? accept)
    {
        var request = new DefaultHttpContext().Request;
        if (accept is not null)
        {
            request.Headers.Accept = accept;
        }

        return request;
    }

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("application/json, text/html", true)]
    [InlineData("text/html, application/json", true)]
    [InlineData("application/problem+json", true)]
    [InlineData("APPLICATION/JSON", true)]
    [InlineData("text/html;q=0.5, application/json;q=0.8", true)]
    [InlineData("application/json; charset=utf-8", true)]
    [InlineData("text/html,application/json;q=0.9", false)]
    [InlineData("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false)]
    [InlineData("*/*", false)]
    [InlineData("application/json;q=0", false)]
    [InlineData("text/plain", false)]
    [InlineData(";;;", false)]
    [InlineData("application/json;q=", true)]
    [InlineData("\"", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void PrefersJson_AcceptHeader_MatchesRanking(string? accept, bool expected)
    {
        // Arrange
        var request = Request(accept);

        // Act
        var exception = Record.Exception(() => VisitorResponses.PrefersJson(request));
        var prefersJson = VisitorResponses.PrefersJson(request);

        // Assert
        Assert.Null(exception);
        Assert.Equal(expected, prefersJson);
    }

    [Theory]
    [InlineData(null, "calculating…")]
    [InlineData(0L, "less than a minute")]
    [InlineData(30L, "less than a minute")]
    [InlineData(59L, "less than a minute")]
    [InlineData(120L, "about 2 minutes")]
    [InlineData(300L, "about 5 minutes")]
    [InlineData(2700L, "about 45 minutes")]
    [InlineData(5400L, "about 1.5 hours")]
    [InlineData(7200L, "about 2 hours")]
    [InlineData(36000L, "about 10 hours")]
    public void DescribeWait_Seconds_Words(long? seconds, string expected)
    {
        // Act
        var words = VisitorText.English.DescribeWait(seconds);

        // Assert
        Assert.Equal(expected, words);
    }

    [Theory]
    [InlineData(60L, "about 1 minute")]
    [InlineData(3600L, "about 1 hour")]
    [InlineData(3599L, "about 1 hour")]
    [InlineData(3569L, "about 59 minutes")]
    public void DescribeWait_AboutOne_Singular(long seconds, string expected)
    {
        // Act
        var words = VisitorText.English.DescribeWait(seconds);

        // Assert
        Assert.Equal(expected, words);
    }

    [Theory]
    [InlineData(1L, 2)]
    [InlineData(9L, 2)]
    [InlineData(10L, 4)]
    [InlineData(99L, 4)]
    [InlineData(100L, 6)]
    [InlineData(999L, 6)]
    [InlineData(1000L, 8)]
    [InlineData(9999L, 8)]
    [InlineData(10000L, 10)]
    [InlineData(1000000L, 14)]
    [InlineData(999999999L, 18)]
    [InlineData(1000000000L, 20)]
    [InlineData(long.MaxValue, 20)]
    public void PollAfterSeconds_Defaults_ReleaseIntervalTimesDigitsCappedAtQueueTtlThird(long position, int expected)
    {
        // Arrange
        var responses = Responses();

        // Act
        var seconds = responses.PollAfterSeconds(position);

        // Assert
        Assert.Equal(expected, seconds);
    }

    [Theory]
    [InlineData(0.5, 1)]
    [InlineData(0.05, 1)]
    [InlineData(2.5, 3)]
    [InlineData(4, 4)]
    public void PollAfterSeconds_PositionOne_CeilingOfReleaseInterval(double releaseInterval, int expected)
    {
        // Arrange
        var responses = Responses(releaseInterval, queueTtlSeconds: 600);

        // Act
        var seconds = responses.PollAfterSeconds(1);

        // Assert
        Assert.Equal(expected, seconds);
    }

    [Fact]
    public void PollAfterSeconds_GrowsWithDigitsButNeverAboveQueueTtlThirdNor30()
    {
        // Arrange
        var settings = new (double Interval, double QueueTtl)[] { (0.5, 3.0), (1.0, 10.0), (2.0, 60.0), (5.0, 45.0), (3.0, 600.0), (60.0, 30.0), (2.0, 1.0) };

        foreach (var (interval, queueTtl) in settings)
        {
            var responses = Responses(interval, queueTtl);
            var cap = Math.Min(30, Math.Max(1, (int)(queueTtl / 3)));
            var previous = 0;

            for (var position = 1L; position > 0 && position <= 1_000_000_000_000_000_000L; position *= 10)
            {
                // Act
                var seconds = responses.PollAfterSeconds(position);

                // Assert
                Assert.InRange(seconds, 1, cap);
                Assert.True(seconds >= previous, $"interval {interval}, queue TTL {queueTtl}: poll at position {position} shrank to {seconds} from {previous}");
                previous = seconds;
            }

            Assert.Equal(cap, previous);
        }
    }

    [Fact]
    public void PollAfterSeconds_LongQueueTtl_CappedAt30()
    {
        // Arrange
        var responses = Responses(releaseIntervalSeconds: 10, queueTtlSeconds: 3600);

        // Act
        var head = responses.PollAfterSeconds(1);
        var far = responses.PollAfterSeconds(1_000_000);

        // Assert
        Assert.Equal(10, head);
        Assert.Equal(30, far);
    }

    [Theory]
    [InlineData(1L, 10.0, 2)] // the release interval at least
    [InlineData(200L, 10.0, 5)] // a quarter of the 20 s expected wait
    [InlineData(1_000_000L, 10.0, 60)] // a day away: once a minute
    [InlineData(10_000_000L, 1000.0, 60)]
    [InlineData(1000L, 1000.0, 2)]
    public void PollAfterSeconds_RateKnown_QuarterOfExpectedWaitWithinIntervalAndMinute(long position, double rate, int expected)
    {
        var responses = Responses(releaseIntervalSeconds: 2, queueTtlSeconds: 300);

        Assert.Equal(expected, responses.PollAfterSeconds(position, promotedPerSecond: rate));
    }

    [Fact]
    public void PollAfterSeconds_RateKnownShortQueueTtl_StillAThirdOfIt()
    {
        var responses = Responses(releaseIntervalSeconds: 2, queueTtlSeconds: 30);

        Assert.Equal(10, responses.PollAfterSeconds(1_000_000, promotedPerSecond: 1));
        Assert.Equal(10, responses.PollAfterSeconds(long.MaxValue, promotedPerSecond: 0.001));
    }

    /// <summary>The host environment of a test: content root = the test output folder, which holds wwwroot.</summary>
    private sealed class FakeHostEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Production";

        public string ApplicationName { get; set; } = "WaitingRoom";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
