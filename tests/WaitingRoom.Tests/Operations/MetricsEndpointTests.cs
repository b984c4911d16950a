using System.Net;
using WaitingRoom.Tests.EndToEnd;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Operations;

/// <summary>/_wr/metrics over real HTTP: valid Prometheus text (checked by a strict parser) whose numbers move with the traffic.</summary>
public sealed class MetricsEndpointTests
{
    private static async Task<PrometheusText> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/_wr/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static double ValueOr0(PrometheusText metrics, string name, params (string Label, string Value)[] labels) =>
        metrics.TryValue(name, out var value, labels) ? value : 0;

    [Fact]
    public async Task Metrics_TrafficThroughTheRoom_ParseAsPrometheusTextAndMoveWithIt()
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(1, clock: RoomUnderTest.NewClock());
        using var scraper = new HttpClient { BaseAddress = room.Proxy.Address };
        var before = await ScrapeAsync(scraper);
        var room1 = ("room", "default");

        // Act: one visitor in, two queued; the origin ends the first one's session, the next is promoted.
        var (holder, waiter) = await room.HolderAndWaiterAsync();
        await room.GetAsync("/echo", forwardedFor: "198.51.100.3");
        var release = await room.GetAsync("/release", holder.Token, "198.51.100.1");
        await room.AdvanceAsync(TimeSpan.FromSeconds(0.2));
        Assert.Equal("released", (await room.StatusAsync(waiter.Token!)).State);
        PrometheusText after = before;
        await Visit.UntilAsync(
            async () =>
            {
                after = await ScrapeAsync(scraper);
                return ValueOr0(after, "wr_released", room1) == 1 && ValueOr0(after, "wr_queued", room1) == 1;
            },
            TimeSpan.FromSeconds(30), // the tick's sampling runs on its own, after the round

            "the room gauges show one released and one waiting");

        // Assert
        Assert.True(release.ReachedBackend, release.Body);
        Assert.Equal(1, ValueOr0(after, "wr_admitted_total", room1) - ValueOr0(before, "wr_admitted_total", room1));
        Assert.Equal(2, ValueOr0(after, "wr_decisions_total", room1, ("decision", "queued")));
        Assert.True(ValueOr0(after, "wr_decisions_total", room1, ("decision", "active")) >= 2);
        Assert.Equal(1, ValueOr0(after, "wr_released_by_origin_total", room1));
        Assert.Equal(1, ValueOr0(after, "wr_promoted_total", room1));
        Assert.Equal(1, ValueOr0(after, "wr_capacity", room1));
        Assert.Equal(0, ValueOr0(after, "wr_active", room1));
        Assert.Equal("histogram", after.Family("wr_decision_duration_seconds").Type);
        Assert.True(after.Value("wr_decision_duration_seconds_count", room1) >= 4);
        // The holder's second request may be admitted from the instance's admission cache: no store call.
        Assert.True(after.Value("wr_store_duration_seconds_count", ("operation", "admit")) >= 3);
        Assert.True(after.Value("wr_store_duration_seconds_count", ("operation", "promote")) >= 1);
        var destination = ("destination", "d1");
        var address = ("address", room.Backend.Address.ToString());
        Assert.Equal(2, after.Value("wr_backend_requests_total", destination, address));
        Assert.Equal(1, after.Value("wr_backend_up", destination, address));
        Assert.Equal("counter", after.Family("wr_backend_requests_total").Type);
        Assert.True(after.TryValue("wr_promotion_rate_per_minute", out _, room1));
    }

    [Fact]
    public async Task Metrics_StoreDown_CountsStoreErrorsAndStillAnswers()
    {
        // Arrange
        var redis = RedisServer.StartPrivate();
        try
        {
            await using var backend = await TestBackend.StartAsync();
            var settings = redis.Settings(RedisServer.NewPrefix());
            settings["WR_BACKEND_URL"] = backend.Address.ToString();
            settings["WR_SECRET"] = "a-test-secret-of-enough-length";
            await using var proxy = await ProxyInstance.StartAsync(settings);
            using var client = proxy.Anonymous();
            await ProxyInstance.GetJsonAsync(client, "/echo");

            // Act
            redis.Stop();
            await Visit.UntilAsync(async () => (await ProxyInstance.GetJsonAsync(client, "/echo")).Status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10), "the room answers 503 while Redis is down");
            var metrics = await ScrapeAsync(client);

            // Assert
            Assert.True(metrics.Value("wr_store_errors_total", ("operation", "admit")) >= 1);
        }
        finally
        {
            redis.Stop();
        }
    }

    [Fact]
    public async Task Metrics_TwoHostsInOneProcess_EachShowsOnlyItsOwnMeter()
    {
        // Arrange: two rooms in this process, each with its own meter named "WaitingRoom".
        await using var busy = await RoomUnderTest.StartAsync(10);
        await using var idle = await RoomUnderTest.StartAsync(10);
        using var busyScraper = new HttpClient { BaseAddress = busy.Proxy.Address };
        using var idleScraper = new HttpClient { BaseAddress = idle.Proxy.Address };
        var room1 = ("room", "default");

        // Act
        for (var i = 0; i < 3; i++)
        {
            await busy.GetAsync("/echo", forwardedFor: $"198.51.100.{i + 1}");
        }

        var busyMetrics = await ScrapeAsync(busyScraper);
        var idleMetrics = await ScrapeAsync(idleScraper);

        // Assert
        Assert.Equal(3, ValueOr0(busyMetrics, "wr_admitted_total", room1));
        Assert.Equal(0, ValueOr0(idleMetrics, "wr_admitted_total", room1));
        Assert.Equal(0, ValueOr0(idleMetrics, "wr_decisions_total", room1, ("decision", "active")));
        Assert.Equal(0, ValueOr0(idleMetrics, "wr_backend_requests_total", ("destination", "d1"), ("address", busy.Backend.Address.ToString())));
    }

    [Fact]
    public async Task Metrics_AfterTraffic_FamiliesNamedAndTypedAsDashboardsKnowThem()
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(1);
        using var scraper = new HttpClient { BaseAddress = room.Proxy.Address };

        // Act: one admitted, one queued, a few promotion rounds.
        await room.HolderAndWaiterAsync();
        PrometheusText metrics = await ScrapeAsync(scraper);
        await Visit.UntilAsync(
            async () => (metrics = await ScrapeAsync(scraper)).TryValue("wr_queued", out var queued, ("room", "default")) && queued == 1,
            TimeSpan.FromSeconds(5),
            "the room gauges are observed");

        // Assert: the names of README "Metrics", no exporter's extras (scope labels, target_info).
        var expected = new Dictionary<string, string>
        {
            ["wr_admitted_total"] = "counter",
            ["wr_decisions_total"] = "counter",
            ["wr_promoted_total"] = "counter",
            ["wr_abandoned_total"] = "counter",
            ["wr_expired_total"] = "counter",
            ["wr_decision_duration_seconds"] = "histogram",
            ["wr_store_duration_seconds"] = "histogram",
            ["wr_active"] = "gauge",
            ["wr_queued"] = "gauge",
            ["wr_released"] = "gauge",
            ["wr_capacity"] = "gauge",
            ["wr_promotion_rate_per_minute"] = "gauge",
            ["wr_backend_up"] = "gauge",
            ["wr_backend_in_flight"] = "gauge",
            ["wr_backend_requests_total"] = "counter",
            ["wr_backend_failures_total"] = "counter",
        };
        Assert.All(expected, family => Assert.Equal(family.Value, metrics.Family(family.Key).Type));
        Assert.All(metrics.Families, family => Assert.StartsWith("wr_", family.Name, StringComparison.Ordinal));
        Assert.All(metrics.AllSamples, sample => Assert.DoesNotContain(sample.Labels.Keys, label => label.StartsWith("otel_", StringComparison.Ordinal)));
        var bounds = metrics.Samples("wr_decision_duration_seconds_bucket").Select(s => s.Labels["le"]).Distinct();
        Assert.Equal(["0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"], bounds);
    }
}
