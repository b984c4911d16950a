using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Analytics;
using WaitingRoom.Queue;
using WaitingRoom.Tests.EndToEnd;
using WaitingRoom.Tests.Infrastructure;
using WaitingRoom.Tests.Operations;
using Xunit;

namespace WaitingRoom.Tests.Analytics;

/// <summary>
/// Analytics through real Kestrel and YARP to a real backend, with real Redis: instances count
/// locally, flush to the store's minutes, and the report answers the same from any instance.
/// The clock is virtual, so minutes and flushes move only when the test says.
/// </summary>
public sealed class AnalyticsReportTests
{
    private const string Token = "admin-test-token-0123456789";

    private static Task<RoomUnderTest> StartAsync(int maxActive, FakeTimeProvider clock, Action<Dictionary<string, string?>>? configure = null) =>
        RoomUnderTest.StartAsync(maxActive, settings =>
        {
            settings["WR_ADMIN_TOKEN"] = Token;
            settings["WR_RELEASE_INTERVAL"] = "1";
            configure?.Invoke(settings);
        }, clock);

    private static Task FlushAsync(ProxyInstance instance) =>
        instance.Services.GetServices<IHostedService>().OfType<AnalyticsFlusher>().Single().FlushAsync(CancellationToken.None);

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string ReportPath(DateTimeOffset from, DateTimeOffset to, string? format = null) =>
        $"/_wr/admin/rooms/default/report?from={Uri.EscapeDataString(Iso(from))}&to={Uri.EscapeDataString(Iso(to))}" + (format is null ? "" : "&format=" + format);

    private static async Task<string> ReportTextAsync(ProxyInstance instance, string path)
    {
        using var client = new HttpClient { BaseAddress = instance.Address };
        client.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Report_TwoInstancesCountIntoOneSetOfMinutes_SameAnswerFromEither()
    {
        // Arrange: two instances of one room on one Redis, capacity 2.
        var clock = RoomUnderTest.NewClock();
        await using var room = await StartAsync(2, clock, settings => settings["WR_ACTIVE_TTL"] = "300");
        await using var second = await room.StartInstanceAsync();
        using var secondClient = second.Anonymous();
        var start = clock.GetUtcNow();

        // Act: two visitors through the first instance (admitted), three through the second (they wait);
        // a minute later the origin ends one session and the head of the line is released into its slot.
        var first = await room.GetAsync("/echo", forwardedFor: "198.51.100.1");
        await room.GetAsync("/echo", forwardedFor: "198.51.100.2");
        for (var i = 3; i <= 5; i++)
        {
            Assert.Equal("queued", (await Visit.GetAsync(secondClient, "/echo", forwardedFor: $"198.51.100.{i}")).State);
        }

        await room.AdvanceAsync(TimeSpan.FromSeconds(1));
        await FlushAsync(room.Proxy);
        await FlushAsync(second);
        await room.AdvanceAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("released", (await room.GetAsync("/release", token: first.Token)).Body);
        await room.AdvanceAsync(TimeSpan.FromSeconds(1), second);

        // Either instance's promotion loop may run the round that releases the head, and it records
        // the release when the script's answer is back: flush both until the release is counted
        // (bounded), so the test checks that the counts add up, not which flush carried them.
        var path = ReportPath(start.AddMinutes(-2), start.AddMinutes(5));
        string fromFirst;
        var attempts = 0;
        do
        {
            await FlushAsync(room.Proxy);
            await FlushAsync(second);
            fromFirst = await ReportTextAsync(room.Proxy, path);
        }
        while (++attempts < 50 && JsonDocument.Parse(fromFirst).RootElement.GetProperty("totals").GetProperty("admitted").GetInt64() < 3 && await Task.Delay(100).ContinueWith(_ => true));

        var fromSecond = await ReportTextAsync(second, path);

        // Assert
        Assert.Equal(fromFirst, fromSecond);
        using var report = JsonDocument.Parse(fromFirst);
        var totals = report.RootElement.GetProperty("totals");
        Assert.Equal(5, totals.GetProperty("arrivals").GetInt64());
        Assert.Equal(3, totals.GetProperty("admitted").GetInt64());
        Assert.Equal(0, totals.GetProperty("abandoned").GetInt64());
        Assert.Equal(1, totals.GetProperty("releasedByOrigin").GetInt64());

        // The waiter at the head joined 62 s before its release; the first visitor stayed 61 s (one bucket each).
        Assert.InRange(totals.GetProperty("timeInQueueSeconds").GetProperty("p50").GetDouble(), 62 / 1.26, 62 * 1.26);
        Assert.InRange(totals.GetProperty("timeOnSiteSeconds").GetProperty("p99").GetDouble(), 61 / 1.26, 61 * 1.26);
        Assert.Equal("default", report.RootElement.GetProperty("room").GetString());
        var minutes = report.RootElement.GetProperty("minutes").EnumerateArray().ToList();
        Assert.Equal(5, minutes.Sum(m => m.GetProperty("arrivals").GetInt64()));
        Assert.Equal(3, minutes.Max(m => m.GetProperty("queued").GetInt64()));
        Assert.Equal(2, minutes.Max(m => m.GetProperty("capacity").GetInt64()));
        Assert.Equal(
            ["at", "arrivals", "admitted", "abandoned", "queued", "capacity"],
            minutes[0].EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Report_Csv_HeaderAndOneRowPerMinuteOfTheRange()
    {
        // Arrange
        var clock = RoomUnderTest.NewClock();
        await using var room = await StartAsync(1, clock);
        await room.GetAsync("/echo", forwardedFor: "198.51.100.1");
        await FlushAsync(room.Proxy);
        var minute = DateTimeOffset.FromUnixTimeMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds() / 60_000 * 60_000);

        // Act: the three minutes up to and including the current one.
        using var client = new HttpClient { BaseAddress = room.Proxy.Address };
        client.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        using var response = await client.GetAsync(ReportPath(minute.AddMinutes(-2), minute.AddMinutes(1), "csv"));
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition?.ToString(), StringComparison.Ordinal);
        Assert.Equal("at,arrivals,admitted,abandoned,queued,capacity", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.Equal($"{Iso(minute.AddMinutes(-2))},0,0,0,0,0", lines[1]);
        Assert.StartsWith($"{Iso(minute)},1,1,0,", lines[3], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("from=yesterday&to=2026-12-03T15:00:00Z", "'from'")]
    [InlineData("from=2026-12-03T14:00:00Z&to=2026-12-03", "'to'")]
    [InlineData("from=2026-12-03T14:00:00&to=2026-12-03T15:00:00Z", "'from'")]
    [InlineData("from=2026-12-03T15:00:00Z&to=2026-12-03T14:00:00Z", "'to' must be later")]
    [InlineData("from=2026-10-01T00:00:00Z&to=2026-12-03T00:00:00Z", "at most 30 days")]
    [InlineData("from=2026-12-03T14:00:00Z&to=2026-12-03T15:00:00Z&format=xml", "'format'")]
    public async Task Report_BadParameter_400NamingIt(string query, string named)
    {
        // Arrange
        var clock = RoomUnderTest.NewClock();
        await using var room = await StartAsync(1, clock);
        using var admin = new AdminClient(room.Proxy.Address, Token);

        // Act
        var (status, json, _) = await admin.GetAsync("/_wr/admin/rooms/default/report?" + query);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid-parameter", json.GetProperty("error").GetString());
        Assert.Contains(named, json.GetProperty("errors")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_UnknownRoomOrNoToken_404And401()
    {
        // Arrange
        var clock = RoomUnderTest.NewClock();
        await using var room = await StartAsync(1, clock);
        using var admin = new AdminClient(room.Proxy.Address, Token);
        using var anonymous = new HttpClient { BaseAddress = room.Proxy.Address };

        // Act
        var (unknown, json, _) = await admin.GetAsync("/_wr/admin/rooms/nosuchroom/report");
        using var refused = await anonymous.GetAsync("/_wr/admin/rooms/default/report");

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal("unknown-room", json.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Flush_StoreStopsAnsweringMidFlush_NothingLostNorDoubledAfterRecovery()
    {
        // Arrange: a Redis of this test's own, which the test pauses (SIGSTOP): a flush sent into it
        // fails by its deadline, yet runs when the server goes on; the retry must not count it twice.
        using var redis = DurableRedisServer.Start();
        var clock = RoomUnderTest.NewClock();
        await using var backend = await TestBackend.StartAsync();
        var settings = redis.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        settings["WR_MAX_ACTIVE"] = "2";
        settings["WR_ADMIN_TOKEN"] = Token;
        await using var proxy = await ProxyInstance.StartAsync(settings, time: clock, storeDeadline: StoreAvailability.DefaultRequestDeadline);
        using var client = proxy.Anonymous();
        for (var i = 1; i <= 3; i++)
        {
            await Visit.GetAsync(client, "/echo", forwardedFor: $"198.51.100.{i}");
        }

        // Act: the flush meets a silent store and fails; the counts stay with the instance.
        redis.Pause();
        try
        {
            await Assert.ThrowsAsync<StoreUnavailableException>(() => FlushAsync(proxy));
        }
        finally
        {
            redis.Resume();
        }

        await Visit.UntilAsync(
            async () =>
            {
                try
                {
                    await FlushAsync(proxy);
                    return true;
                }
                catch (StoreUnavailableException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30),
            "a flush after the store came back");
        await FlushAsync(proxy);
        var now = clock.GetUtcNow();
        using var report = JsonDocument.Parse(await ReportTextAsync(proxy, ReportPath(now.AddMinutes(-5), now.AddMinutes(1))));

        // Assert
        var totals = report.RootElement.GetProperty("totals");
        Assert.Equal(3, totals.GetProperty("arrivals").GetInt64());
        Assert.Equal(2, totals.GetProperty("admitted").GetInt64());
    }

    [Fact]
    public async Task History_FromEitherInstance_TheStoresMinutes()
    {
        // Arrange
        var clock = RoomUnderTest.NewClock();
        await using var room = await StartAsync(1, clock);
        await using var second = await room.StartInstanceAsync();
        await room.GetAsync("/echo", forwardedFor: "198.51.100.1");
        await FlushAsync(room.Proxy);

        // Act
        using var first = new AdminClient(room.Proxy.Address, Token);
        using var other = new AdminClient(second.Address, Token);
        var (_, a, _) = await first.GetAsync("/_wr/admin/rooms/default/history?minutes=5");
        var (_, b, _) = await other.GetAsync("/_wr/admin/rooms/default/history?minutes=5");
        var (bad, _, _) = await other.GetAsync("/_wr/admin/rooms/default/history?minutes=0");

        // Assert
        Assert.Equal(a.GetRawText(), b.GetRawText());
        var point = Assert.Single(a.GetProperty("points").EnumerateArray());
        Assert.Equal(1, point.GetProperty("arrivals").GetInt64());
        Assert.Equal(1, point.GetProperty("admittedPerMinute").GetInt64());
        Assert.Equal(HttpStatusCode.BadRequest, bad);
    }
}
