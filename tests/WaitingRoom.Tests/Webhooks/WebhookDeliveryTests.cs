using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Queue;
using WaitingRoom.Tests.EndToEnd;
using WaitingRoom.Tests.Infrastructure;
using WaitingRoom.Tests.Operations;
using WaitingRoom.Webhooks;
using Xunit;

namespace WaitingRoom.Tests.Webhooks;

/// <summary>
/// Webhooks to a real receiver on loopback: every type signed as SPEC.md says, one delivery however many
/// instances see a change, retries with back-off in virtual time, a bounded queue, per-room URLs.
/// </summary>
public sealed class WebhookDeliveryTests
{
    private const string Secret = "webhook-test-secret-0123456789";
    private const string Token = "admin-test-token-0123456789";

    private static async Task<ProxyInstance> StartAsync(WebhookReceiver receiver, TestBackend backend, FakeTimeProvider clock, Action<Dictionary<string, string?>>? configure = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["WR_MAX_ACTIVE"] = "1",
            ["WR_BACKEND_URL"] = backend.Address.ToString(),
            ["WR_WEBHOOK_URL"] = receiver.Url.ToString(),
            ["WR_WEBHOOK_SECRET"] = Secret,
            ["WR_ADMIN_TOKEN"] = Token,
        };
        configure?.Invoke(settings);
        return await ProxyInstance.StartAsync(settings, time: clock);
    }

    private static Task WatchAsync(ProxyInstance proxy) => proxy.Services.GetRequiredService<WebhookWatcher>().RunOnceAsync(CancellationToken.None);

    /// <summary>Waits until every webhook the instances queued was delivered, given up on or dropped.</summary>
    private static async Task IdleAsync(params ProxyInstance[] proxies)
    {
        var clock = Stopwatch.StartNew();
        while (!proxies.All(p => p.Services.GetRequiredService<WebhookPublisher>().IsIdle))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "webhooks still pending after 10 s");
            await Task.Delay(20);
        }
    }

    private static void AssertShape(WebhookReceiver.Received hook, string type, string? room, FakeTimeProvider clock) => AssertShape(hook, type, room, clock.GetUtcNow());

    private static void AssertShape(WebhookReceiver.Received hook, string type, string? room, DateTimeOffset at)
    {
        Assert.True(hook.IsSignedWith(Secret), "WR-Signature is not the HMAC-SHA256 of the body");
        Assert.Equal("application/json; charset=utf-8", hook.Headers["Content-Type"]);
        Assert.Equal(["type", "room", "at", "data"], hook.Json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(type, hook.Type);
        Assert.Equal(room, hook.Room);
        Assert.Equal(at.ToUnixTimeSeconds(), DateTimeOffset.Parse(hook.Json.GetProperty("at").GetString()!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds());
        Assert.Equal(JsonValueKind.Object, hook.Data.ValueKind);
        Assert.Equal(32, hook.Headers["WR-Webhook-Id"].Length);
    }

    [Fact]
    public async Task QueueStartedAndEmpty_EachDeliveredOnceSigned()
    {
        var clock = RoomUnderTest.NewClock();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await StartAsync(receiver, backend, clock);
        using var client = proxy.Anonymous();
        await WatchAsync(proxy);
        var holder = await Visit.GetAsync(client, "/echo", forwardedFor: "198.51.100.1");
        await Visit.GetAsync(client, "/echo", forwardedFor: "198.51.100.2");

        await WatchAsync(proxy);
        await WatchAsync(proxy);
        var started = await receiver.WaitForAsync(WebhookTypes.QueueStarted);
        await Visit.GetAsync(client, "/release", holder.Token);
        await proxy.RunPromotionRoundAsync();
        await WatchAsync(proxy);
        var empty = await receiver.WaitForAsync(WebhookTypes.QueueEmpty);
        await IdleAsync(proxy);

        AssertShape(started, WebhookTypes.QueueStarted, "default", clock);
        Assert.Equal((1, 1, 1), (started.Data.GetProperty("queued").GetInt32(), started.Data.GetProperty("active").GetInt32(), started.Data.GetProperty("capacity").GetInt32()));
        AssertShape(empty, WebhookTypes.QueueEmpty, "default", clock);
        Assert.Equal(0, empty.Data.GetProperty("queued").GetInt32());
        Assert.Equal([WebhookTypes.QueueStarted, WebhookTypes.QueueEmpty], receiver.All.Select(r => r.Type));
    }

    [Fact]
    public async Task EventPhase_EventOpens_DeliveredWithTheTimes()
    {
        var clock = RoomUnderTest.NewClock();
        var start = clock.GetUtcNow().AddMinutes(10);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await StartAsync(receiver, backend, clock, settings =>
        {
            settings["WR_EVENT_PREQUEUE_START"] = start.AddMinutes(-5).ToString("O");
            settings["WR_EVENT_START"] = start.ToString("O");
            settings["WR_EVENT_END"] = start.AddHours(1).ToString("O");
        });
        await WatchAsync(proxy);

        clock.Advance(TimeSpan.FromMinutes(6));
        var prequeueAt = clock.GetUtcNow();
        await WatchAsync(proxy);
        var prequeue = await receiver.WaitForAsync(WebhookTypes.EventPhase);
        clock.Advance(TimeSpan.FromMinutes(5));
        await WatchAsync(proxy);
        await IdleAsync(proxy);

        AssertShape(prequeue, WebhookTypes.EventPhase, "default", prequeueAt);
        Assert.Equal(("normal", "prequeue"), (prequeue.Data.GetProperty("from").GetString(), prequeue.Data.GetProperty("to").GetString()));
        Assert.Equal(start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), prequeue.Data.GetProperty("start").GetString());
        var opened = receiver.OfType(WebhookTypes.EventPhase)[1];
        Assert.Equal(("prequeue", "event"), (opened.Data.GetProperty("from").GetString(), opened.Data.GetProperty("to").GetString()));
    }

    [Fact]
    public async Task CapacityChanged_ByTheOperatorsPatch_DeliveredWithFromToAndReason()
    {
        var clock = RoomUnderTest.NewClock();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await StartAsync(receiver, backend, clock);
        using var admin = new AdminClient(proxy.Address, Token);
        await WatchAsync(proxy);

        await admin.PatchAsync("/_wr/admin/rooms/default", """{"maxActive":25}""");
        await WatchAsync(proxy);
        var changed = await receiver.WaitForAsync(WebhookTypes.CapacityChanged);

        AssertShape(changed, WebhookTypes.CapacityChanged, "default", clock);
        Assert.Equal((1, 25, "operator", false), (changed.Data.GetProperty("from").GetInt32(), changed.Data.GetProperty("to").GetInt32(), changed.Data.GetProperty("reason").GetString(), changed.Data.GetProperty("adaptive").GetBoolean()));
    }

    [Fact]
    public async Task CapacityChanged_ByTheOriginsCommandInAnAdaptiveRoom_DeliveredWithReasonOrigin()
    {
        var clock = RoomUnderTest.NewClock();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await StartAsync(receiver, backend, clock, settings =>
        {
            settings["WR_MAX_ACTIVE"] = "50";
            settings["WR_ADAPTIVE"] = "on";
            settings["WR_MIN_ACTIVE"] = "5";
        });
        using var client = proxy.Anonymous();
        await WatchAsync(proxy);

        var commanded = await Visit.GetAsync(client, "/command?c=capacity%3D12", forwardedFor: "198.51.100.1");
        await WatchAsync(proxy);
        var changed = await receiver.WaitForAsync(WebhookTypes.CapacityChanged);

        Assert.True(commanded.ReachedBackend, commanded.Body);
        AssertShape(changed, WebhookTypes.CapacityChanged, "default", clock);
        Assert.Equal((5, 12, "origin", true, "origin"), (changed.Data.GetProperty("from").GetInt32(), changed.Data.GetProperty("to").GetInt32(), changed.Data.GetProperty("reason").GetString(),
            changed.Data.GetProperty("adaptive").GetBoolean(), changed.Data.GetProperty("pinnedBy").GetString()));
    }

    [Fact]
    public async Task StoreDownAndUp_ThisInstancesOutage_DeliveredWithItsInstance()
    {
        var clock = RoomUnderTest.NewClock();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await StartAsync(receiver, backend, clock, settings =>
        {
            foreach (var (key, value) in RedisServer.Shared.Settings(RedisServer.NewPrefix()))
            {
                settings[key] = value;
            }
        });
        var availability = proxy.Services.GetRequiredService<StoreAvailability>();

        // Calls Redis does not answer open the circuit, as a dead Redis would; a call after the probe interval closes it.
        while (!availability.IsDown)
        {
            await Assert.ThrowsAnyAsync<Exception>(async () => await availability.Pipeline.ExecuteAsync(_ => throw new TimeoutException("test outage")));
        }

        var down = await receiver.WaitForAsync(WebhookTypes.StoreDown);
        var watch = Stopwatch.StartNew();
        while (availability.IsDown && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(StoreAvailability.ProbeInterval);
            try
            {
                await availability.Pipeline.ExecuteAsync(_ => ValueTask.CompletedTask);
            }
            catch (Polly.CircuitBreaker.BrokenCircuitException)
            {
                // Still open: the probe interval has not passed on this loaded machine.
            }
        }

        var up = await receiver.WaitForAsync(WebhookTypes.StoreUp);
        await IdleAsync(proxy);

        AssertShape(down, WebhookTypes.StoreDown, null, clock);
        AssertShape(up, WebhookTypes.StoreUp, null, clock);
        var instance = proxy.Services.GetRequiredService<WebhookWatcher>().Instance;
        Assert.Equal(instance, down.Data.GetProperty("instance").GetString());
        Assert.Equal(instance, up.Data.GetProperty("instance").GetString());
        Assert.Single(receiver.OfType(WebhookTypes.StoreDown));
        Assert.Single(receiver.OfType(WebhookTypes.StoreUp));
    }

    [Fact]
    public async Task QueueStarted_TwoInstancesOnOneRedisSeeIt_DeliveredOnce()
    {
        var clock = RoomUnderTest.NewClock();
        var prefix = RedisServer.NewPrefix();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var backend = await TestBackend.StartAsync();
        void Shared(Dictionary<string, string?> settings)
        {
            foreach (var (key, value) in RedisServer.Shared.Settings(prefix))
            {
                settings[key] = value;
            }
        }

        await using var first = await StartAsync(receiver, backend, clock, Shared);
        await using var second = await StartAsync(receiver, backend, clock, Shared);
        using var client = first.Anonymous();
        await Task.WhenAll(WatchAsync(first), WatchAsync(second));
        await Visit.GetAsync(client, "/echo", forwardedFor: "198.51.100.1");
        await Visit.GetAsync(client, "/echo", forwardedFor: "198.51.100.2");

        await Task.WhenAll(WatchAsync(first), WatchAsync(second));
        await Task.WhenAll(WatchAsync(first), WatchAsync(second));
        await IdleAsync(first, second);

        var started = Assert.Single(receiver.OfType(WebhookTypes.QueueStarted));
        Assert.True(started.IsSignedWith(Secret));
        Assert.Empty(receiver.OfType(WebhookTypes.QueueEmpty));
    }

    [Fact]
    public async Task Deliver_ReceiverAnswers500Then200_RetriedAfterABackOffWithTheSameBody()
    {
        var clock = RoomUnderTest.NewClock();
        await using var receiver = await WebhookReceiver.StartAsync(500);
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await StartAsync(receiver, backend, clock);
        var publisher = proxy.Services.GetRequiredService<WebhookPublisher>();

        publisher.Publish(receiver.Url, WebhookTypes.QueueStarted, "default", new() { ["queued"] = 1 });
        await receiver.WaitForAsync(WebhookTypes.QueueStarted);
        await Task.Delay(200);
        var beforeBackOff = receiver.All.Count;

        // The back-off runs on the room's clock: nothing is sent again until it moves.
        var watch = Stopwatch.StartNew();
        while (receiver.All.Count < 2 && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }

        await IdleAsync(proxy);
        var metrics = await proxy.Anonymous().GetStringAsync("/_wr/metrics");

        Assert.Equal(1, beforeBackOff);
        var attempts = receiver.All;
        Assert.True(attempts.Count >= 2, "not retried");
        Assert.Single(attempts.Select(a => a.Headers["WR-Webhook-Id"]).Distinct());
        Assert.All(attempts, a => Assert.Equal(attempts[0].Body, a.Body));
        Assert.All(attempts, a => Assert.True(a.IsSignedWith(Secret)));
        Assert.Contains(metrics.Split('\n'), line => line.StartsWith("wr_webhooks_delivered_total{", StringComparison.Ordinal) && line.EndsWith(" 1", StringComparison.Ordinal));
        Assert.DoesNotContain("wr_webhooks_failed_total{", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_ReceiverHangs_QueueStaysBoundedAndDropsAreCountedWithoutWaiting()
    {
        var clock = RoomUnderTest.NewClock();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Hang = true;
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await StartAsync(receiver, backend, clock);
        var publisher = proxy.Services.GetRequiredService<WebhookPublisher>();
        publisher.Publish(receiver.Url, WebhookTypes.QueueStarted, "default", []);
        await receiver.WaitForAsync(WebhookTypes.QueueStarted);

        var watch = Stopwatch.StartNew();
        var queued = Enumerable.Range(0, WebhookPublisher.Capacity + 25).Count(_ => publisher.Publish(receiver.Url, WebhookTypes.QueueEmpty, "default", []));
        var took = watch.Elapsed;
        var metrics = await proxy.Anonymous().GetStringAsync("/_wr/metrics");

        Assert.Equal(WebhookPublisher.Capacity, queued);
        Assert.True(took < TimeSpan.FromSeconds(5), $"publishing waited {took}");
        Assert.Contains("wr_webhooks_dropped_total{type=\"queue.empty\"} 25", metrics, StringComparison.Ordinal);
        Assert.Single(receiver.All);
    }

    [Fact]
    public async Task QueueStarted_RoomWithItsOwnUrl_GoesThereAndNotToTheGlobalOne()
    {
        var clock = RoomUnderTest.NewClock();
        await using var global = await WebhookReceiver.StartAsync();
        await using var own = await WebhookReceiver.StartAsync();
        await using var backend = await TestBackend.StartAsync();
        var file = Path.GetTempFileName();
        File.WriteAllText(file, $$"""{"rooms":[{"name":"sale","path":"/sale","maxActive":1,"webhookUrl":"{{own.Url}}"}]}""");
        try
        {
            await using var proxy = await StartAsync(global, backend, clock, settings => settings["WR_ROOMS_FILE"] = file);
            using var client = proxy.Anonymous();
            await WatchAsync(proxy);
            foreach (var path in (string[])["/sale/a", "/sale/b", "/a", "/b"])
            {
                await Visit.GetAsync(client, path, forwardedFor: "198.51.100." + path.Length + path[^1]);
            }

            await WatchAsync(proxy);
            await IdleAsync(proxy);

            Assert.Equal("sale", Assert.Single(own.OfType(WebhookTypes.QueueStarted)).Room);
            Assert.Equal("default", Assert.Single(global.OfType(WebhookTypes.QueueStarted)).Room);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Patch_WebhookUrlOfARoom_ItsWebhooksGoThereFromNowOn()
    {
        var clock = RoomUnderTest.NewClock();
        await using var global = await WebhookReceiver.StartAsync();
        await using var own = await WebhookReceiver.StartAsync();
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await StartAsync(global, backend, clock);
        using var admin = new AdminClient(proxy.Address, Token);
        using var client = proxy.Anonymous();
        await WatchAsync(proxy);

        var patched = await admin.PatchAsync("/_wr/admin/rooms/default", $$"""{"webhookUrl":"{{own.Url}}"}""");
        var bad = await admin.PatchAsync("/_wr/admin/rooms/default", """{"webhookUrl":"mailto:ops@example.com"}""");
        await Visit.GetAsync(client, "/a", forwardedFor: "198.51.100.1");
        await Visit.GetAsync(client, "/b", forwardedFor: "198.51.100.2");
        await WatchAsync(proxy);
        await IdleAsync(proxy);

        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal(own.Url.ToString(), patched.Json.GetProperty("webhookUrl").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Single(own.OfType(WebhookTypes.QueueStarted));
        Assert.Empty(global.All);
    }

    [Fact]
    public async Task Patch_WebhookUrlWithoutTheSecret_RefusedWith400()
    {
        await using var room = await RoomUnderTest.StartAsync(1, settings => settings["WR_ADMIN_TOKEN"] = Token);
        using var admin = new AdminClient(room.Proxy.Address, Token);

        var refused = await admin.PatchAsync("/_wr/admin/rooms/default", """{"webhookUrl":"https://hooks.example/in"}""");

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("WR_WEBHOOK_SECRET", refused.Json.ToString(), StringComparison.Ordinal);
        Assert.False(room.Proxy.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<WebhookWatcher>().Any());
    }
}
