using System.Net;
using WaitingRoom.Tests.Infrastructure;
using WaitingRoom.Tests.Operations;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// The queue-size cap (WR_MAX_QUEUE, maxQueue) through YARP to a real backend: exact under concurrent
/// arrivals across instances, the "queue full" answers, waiters untouched, changed live by PATCH.
/// </summary>
public sealed class QueueCapTests
{
    private const string Token = "admin-test-token-0123456789";

    [Fact]
    public async Task Burst_300NewcomersOverTwoInstances_QueueHoldsExactlyTheCapAndTheRestAreFull()
    {
        await using var room = await RoomUnderTest.StartAsync(10, settings => settings["WR_MAX_QUEUE"] = "50");
        await using var second = await room.StartInstanceAsync();

        var answers = await BurstAsync([room.Proxy, second], 300);

        Assert.Equal(10, answers.Count(a => a.ReachedBackend));
        Assert.Equal(Enumerable.Range(1, 50).Select(p => (long)p), answers.Where(a => a.State == "queued").Select(a => a.Number("position")).Order());
        Assert.Equal(240, answers.Count(a => a.State == "full"));
        Assert.All(answers.Where(a => a.State == "full"), a => Assert.Equal(HttpStatusCode.ServiceUnavailable, a.Status));
        Assert.Equal(50, await room.CountAsync("queue"));
        Assert.Equal(10, room.Backend.Requests);
    }

    [Fact]
    public async Task Burst_300NewcomersInMemoryStore_QueueHoldsExactlyTheCap()
    {
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await ProxyInstance.StartAsync(new Dictionary<string, string?>
        {
            ["WR_MAX_ACTIVE"] = "10",
            ["WR_MAX_QUEUE"] = "50",
            ["WR_BACKEND_URL"] = backend.Address.ToString(),
        });

        var answers = await BurstAsync([proxy], 300);

        Assert.Equal(10, backend.Requests);
        Assert.Equal(Enumerable.Range(1, 50).Select(p => (long)p), answers.Where(a => a.State == "queued").Select(a => a.Number("position")).Order());
        Assert.Equal(240, answers.Count(a => a.State == "full"));
    }

    [Fact]
    public async Task Get_QueueFull_JsonStateFullWithRetryAfterAndNoCookiePlace()
    {
        await using var room = await RoomUnderTest.StartAsync(1, settings => (settings["WR_MAX_QUEUE"], settings["WR_QUEUE_TTL"]) = ("1", "45"));
        await room.HolderAndWaiterAsync();

        var full = await room.GetAsync("/echo", forwardedFor: "198.51.100.3");
        var status = await room.StatusAsync(full.Token!);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, full.Status);
        Assert.Equal("full", full.State);
        Assert.Equal("default", full.Text("room"));
        Assert.Equal(1, full.Number("queueLength"));
        Assert.Equal(45, full.Number("pollAfterSeconds"));
        Assert.Equal(TimeSpan.FromSeconds(45), full.Headers.RetryAfter?.Delta);
        Assert.Equal("unknown", status.State);
        Assert.Equal(1, await room.CountAsync("queue"));
    }

    [Theory]
    [InlineData("en", "The queue is full", "So many people are waiting that the queue is closed to newcomers for now.")]
    [InlineData("de", "Die Warteschlange ist voll", "Es warten so viele Menschen, dass die Warteschlange für Neuankömmlinge vorerst geschlossen ist.")]
    public async Task Get_QueueFullFromABrowser_FullPageInTheVisitorsLanguage(string language, string title, string message)
    {
        await using var room = await RoomUnderTest.StartAsync(1, settings => settings["WR_MAX_QUEUE"] = "1");
        await room.HolderAndWaiterAsync();

        var page = await room.GetAsync("/", forwardedFor: "198.51.100.3", accept: "text/html", headers: new Dictionary<string, string> { ["Accept-Language"] = language });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, page.Status);
        Assert.Equal("text/html", page.MediaType);
        Assert.NotNull(page.Headers.RetryAfter);
        Assert.Contains($"<h1>{title}</h1>", page.Body, StringComparison.Ordinal);
        Assert.Contains(message, page.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("{{", page.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Poll_WaitersAtTheCap_KeepTheirPlacesAndMoveUpWhileNewcomersAreFull()
    {
        var clock = RoomUnderTest.NewClock();
        await using var room = await RoomUnderTest.StartAsync(1, settings => settings["WR_MAX_QUEUE"] = "2", clock);
        var holder = await room.TakeOnlySlotAsync("198.51.100.1");
        var first = await room.GetAsync("/echo", forwardedFor: "198.51.100.2");
        var second = await room.GetAsync("/echo", forwardedFor: "198.51.100.3");

        var full = await room.GetAsync("/echo", forwardedFor: "198.51.100.4");
        var secondPoll = await room.StatusAsync(second.Token!);
        await room.GetAsync("/release", holder.Token);
        await room.AdvanceAsync(TimeSpan.FromSeconds(1));
        var secondLater = await room.StatusAsync(second.Token!);
        var firstLater = await room.StatusAsync(first.Token!);
        var newcomer = await room.GetAsync("/echo", forwardedFor: "198.51.100.5");

        Assert.Equal("full", full.State);
        Assert.Equal(("queued", 2L), (secondPoll.State, secondPoll.Number("position")));
        Assert.Equal("released", firstLater.State);
        Assert.Equal(("queued", 1L), (secondLater.State, secondLater.Number("position")));
        Assert.Equal(("queued", 2L), (newcomer.State, newcomer.Number("position")));
    }

    [Fact]
    public async Task Patch_MaxQueue_InForceAtOnceAndShownInTheRoom()
    {
        await using var room = await RoomUnderTest.StartAsync(1, settings => settings["WR_ADMIN_TOKEN"] = Token);
        using var admin = new AdminClient(room.Proxy.Address, Token);
        await room.HolderAndWaiterAsync();

        var patched = await admin.PatchAsync("/_wr/admin/rooms/default", """{"maxQueue":1}""");
        var full = await room.GetAsync("/echo", forwardedFor: "198.51.100.3");
        var bad = await admin.PatchAsync("/_wr/admin/rooms/default", """{"maxQueue":-1}""");
        var removed = await admin.PatchAsync("/_wr/admin/rooms/default", """{"maxQueue":null}""");
        var queued = await room.GetAsync("/echo", forwardedFor: "198.51.100.4");

        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal(1, patched.Json.GetProperty("maxQueue").GetInt32());
        Assert.Equal("full", full.State);
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Contains("'maxQueue' must be a whole number from 0 to 1000000000, got -1", bad.Json.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, removed.Json.GetProperty("maxQueue").GetInt32());
        Assert.Equal(("queued", 2L), (queued.State, queued.Number("position")));
    }

    [Fact]
    public async Task Metrics_FullNewcomer_CountedAsDecisionFull()
    {
        await using var room = await RoomUnderTest.StartAsync(1, settings => settings["WR_MAX_QUEUE"] = "1");
        await room.HolderAndWaiterAsync();

        await room.GetAsync("/echo", forwardedFor: "198.51.100.3");
        var metrics = await room.Client.GetStringAsync("/_wr/metrics");

        Assert.Contains(metrics.Split('\n'), line => line.StartsWith("wr_decisions_total{", StringComparison.Ordinal) && line.Contains("decision=\"full\"", StringComparison.Ordinal) && line.EndsWith(" 1", StringComparison.Ordinal));
    }

    /// <summary>Fires <paramref name="visitors"/> cookieless requests at once, each from its own address, spread round-robin over the instances.</summary>
    private static async Task<VisitAnswer[]> BurstAsync(ProxyInstance[] instances, int visitors)
    {
        var clients = instances.Select(i => i.Anonymous()).ToArray();
        try
        {
            using var start = new SemaphoreSlim(0);
            var requests = Enumerable.Range(0, visitors).Select(async i =>
            {
                await start.WaitAsync();
                return await Visit.GetAsync(clients[i % clients.Length], "/echo", forwardedFor: $"10.2.{i / 200}.{(i % 200) + 1}");
            }).ToList();
            start.Release(visitors);
            return await Task.WhenAll(requests);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }
}
