using System.Net;
using WaitingRoom.Tests.EndToEnd;
using WaitingRoom.Tests.Infrastructure;
using WaitingRoom.Tests.Operations;
using Xunit;

namespace WaitingRoom.Tests.Adaptive;

/// <summary>
/// An adaptive room over real HTTP with the Redis store, in virtual time: every instance admits
/// against the one stored capacity; the origin pins it (<c>WR-Command: capacity=N</c>, stripped)
/// and declares the room sold out; the operator pins it through the admin API; the admin API and
/// the metrics show the effective capacity and the signal behind it; bad input is a 400, never a 500.
/// </summary>
public sealed class AdaptiveRoomTests
{
    private const string Token = "adaptive-test-token-0123456789";

    private static Task<RoomUnderTest> StartAsync(int min = 2, int max = 10) =>
        RoomUnderTest.StartAsync(max, settings =>
        {
            settings["WR_ADMIN_TOKEN"] = Token;
            settings["WR_ADAPTIVE"] = "on";
            settings["WR_MIN_ACTIVE"] = min.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings["WR_ADAPTIVE_TARGET_P95"] = "0.5";
            settings["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0";
        }, RoomUnderTest.NewClock());

    private static async Task<List<VisitAnswer>> NewcomersAsync(RoomUnderTest room, int count, int first, params HttpClient[] clients)
    {
        var answers = new List<VisitAnswer>();
        for (var i = 0; i < count; i++)
        {
            var client = clients.Length == 0 ? room.Client : clients[i % clients.Length];
            answers.Add(await Visit.GetAsync(client, "/echo", forwardedFor: $"198.51.100.{first + i}"));
        }

        return answers;
    }

    [Fact]
    public async Task Admit_TwoInstancesBeforeAnyChange_BothAdmitAgainstTheLowerBoundOnly()
    {
        // Arrange
        await using var room = await StartAsync(min: 2, max: 10);
        await using var second = await room.StartInstanceAsync();
        using var secondClient = second.Anonymous();
        using var admin = new AdminClient(room.Proxy.Address, Token);

        // Act: six newcomers, alternating between the instances.
        var answers = await NewcomersAsync(room, 6, 1, room.Client, secondClient);
        var json = await admin.RoomAsync();

        // Assert
        Assert.Equal(2, answers.Count(a => a.ReachedBackend));
        Assert.Equal(4, answers.Count(a => a.State == "queued"));
        Assert.Equal(2, await room.UsedAsync());
        Assert.Equal(2, json.GetProperty("capacity").GetInt32());
        Assert.Equal(10, json.GetProperty("maxActive").GetInt32());
        var adaptive = json.GetProperty("adaptive");
        Assert.True(adaptive.GetProperty("on").GetBoolean());
        Assert.Equal((2, 10), (adaptive.GetProperty("min").GetInt32(), adaptive.GetProperty("max").GetInt32()));
        Assert.Equal(0.5, adaptive.GetProperty("targetP95").GetDouble());
        Assert.Equal(0.05, adaptive.GetProperty("maxErrors").GetDouble());
        Assert.False(adaptive.GetProperty("hold").GetBoolean());
        Assert.Equal("start", adaptive.GetProperty("reason").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, adaptive.GetProperty("pinned").ValueKind);
    }

    [Fact]
    public async Task OriginCommand_CapacityN_PinsItForEveryInstanceAndIsStripped()
    {
        // Arrange
        await using var room = await StartAsync(min: 2, max: 10);
        await using var second = await room.StartInstanceAsync();
        using var secondClient = second.Anonymous();
        using var admin = new AdminClient(second.Address, Token);
        var holder = (await NewcomersAsync(room, 1, 1))[0];

        // Act: the origin says 4 on the first instance; newcomers come through the second.
        var command = await room.GetAsync("/command?c=capacity%3D4", holder.Token);
        var newcomers = await NewcomersAsync(room, 5, 10, secondClient);
        await second.RunAdaptiveStepAsync();
        var stored = await RoomStore.CapacityAsync(room.Prefix);
        var json = await admin.RoomAsync();

        // Assert
        Assert.True(command.ReachedBackend, command.Body);
        Assert.False(command.HasHeader("WR-Command"), "the origin's WR-Command header reached the visitor");
        Assert.Equal(3, newcomers.Count(a => a.ReachedBackend));
        Assert.Equal(4, await room.UsedAsync());
        Assert.Equal(("4", "origin"), (stored["cap"], stored["pin"]));
        Assert.Equal(4, json.GetProperty("capacity").GetInt32());
        Assert.Equal(4, json.GetProperty("adaptive").GetProperty("pinned").GetInt32());
        Assert.Equal("origin", json.GetProperty("adaptive").GetProperty("pinnedBy").GetString());
    }

    [Fact]
    public async Task OriginCommand_CapacityAuto_HandsTheCapacityBackToTheController()
    {
        // Arrange
        await using var room = await StartAsync(min: 2, max: 10);
        var holder = (await NewcomersAsync(room, 1, 1))[0];
        await room.GetAsync("/command?c=capacity%3D4", holder.Token);

        // Act
        var auto = await room.GetAsync("/command?c=capacity%3Dauto", holder.Token);
        var stored = await RoomStore.CapacityAsync(room.Prefix);

        // Assert
        Assert.True(auto.ReachedBackend, auto.Body);
        Assert.Equal(("4", "", "origin-auto"), (stored["cap"], stored["pin"], stored["why"]));
    }

    [Theory]
    [InlineData("capacity%3Dabc")]
    [InlineData("capacity%3D-3")]
    [InlineData("capacity%3D0")]
    [InlineData("capacity%3D99999999999999")]
    [InlineData("capacity")]
    [InlineData("%2C%2C%2C")]
    [InlineData("capacity%3D%2C%20sold%20out")]
    public async Task OriginCommand_Garbage_IgnoredStrippedAndNeverAnError(string value)
    {
        // Arrange
        await using var room = await StartAsync();
        var holder = (await NewcomersAsync(room, 1, 1))[0];

        // Act
        var answer = await room.GetAsync("/command?c=" + value, holder.Token);
        var stored = await RoomStore.CapacityAsync(room.Prefix);

        // Assert
        Assert.True(answer.ReachedBackend, answer.Body);
        Assert.False(answer.HasHeader("WR-Command"));
        Assert.Empty(stored);
    }

    [Fact]
    public async Task OriginCommand_SoldOut_NewcomersGetTheClosedPageAndThoseInKeepTheirPlaces()
    {
        // Arrange
        await using var room = await StartAsync(min: 1, max: 10);
        var (holder, waiter) = await room.HolderAndWaiterAsync();
        using var admin = new AdminClient(room.Proxy.Address, Token);

        // Act
        var soldOut = await room.GetAsync("/command?c=sold-out", holder.Token);
        var newcomer = await room.GetAsync("/echo", forwardedFor: "198.51.100.50");
        var holderAgain = await room.GetAsync("/echo", holder.Token);
        var waiterAgain = await room.StatusAsync(waiter.Token!);
        var json = await admin.RoomAsync();

        // Assert
        Assert.True(soldOut.ReachedBackend, soldOut.Body);
        Assert.False(soldOut.HasHeader("WR-Command"));
        Assert.Equal("rejected", newcomer.State);
        Assert.True(holderAgain.ReachedBackend, holderAgain.Body);
        Assert.Equal("queued", waiterAgain.State);
        Assert.Equal("reject", json.GetProperty("queueMode").GetString());
        Assert.Equal("reject", json.GetProperty("overrides").GetProperty("queueMode").GetString());
    }

    [Fact]
    public async Task AdminPatch_PinAndUnpin_TheControllerEnforcesThePinOnEveryInstanceThenLetsGo()
    {
        // Arrange
        await using var room = await StartAsync(min: 2, max: 10);
        await using var second = await room.StartInstanceAsync();
        using var admin = new AdminClient(room.Proxy.Address, Token);
        using var secondAdmin = new AdminClient(second.Address, Token);

        // Act: pin on the first instance, the second's controller steps after its next sync.
        var pin = await admin.PatchAsync("/_wr/admin/rooms/default", """{"adaptive":{"pinned":6}}""");
        await room.AdvanceAsync(TimeSpan.FromSeconds(0.2), room.Proxy, second);
        await WaitForAsync(async () => (await secondAdmin.RoomAsync()).GetProperty("overrides").TryGetProperty("adaptive", out _));
        await second.RunAdaptiveStepAsync();
        var pinned = await RoomStore.CapacityAsync(room.Prefix);
        var pinnedJson = await secondAdmin.RoomAsync();
        var unpin = await admin.PatchAsync("/_wr/admin/rooms/default", """{"adaptive":{"pinned":null}}""");
        await room.Proxy.RunAdaptiveStepAsync();
        var unpinned = await RoomStore.CapacityAsync(room.Prefix);

        // Assert
        Assert.Equal(HttpStatusCode.OK, pin.Status);
        Assert.True(pin.Json.GetProperty("adaptive").GetProperty("on").GetBoolean(), "pinning turned adaptive off");
        Assert.Equal(("6", "operator"), (pinned["cap"], pinned["pin"]));
        Assert.Equal(6, pinnedJson.GetProperty("capacity").GetInt32());
        Assert.Equal("operator", pinnedJson.GetProperty("adaptive").GetProperty("pinnedBy").GetString());
        Assert.Equal(HttpStatusCode.OK, unpin.Status);
        Assert.Equal(("6", "", "unpinned"), (unpinned["cap"], unpinned["pin"], unpinned["why"]));
    }

    [Theory]
    [InlineData("""{"adaptive":{"min":"x"}}""", "'adaptive.min' must be a whole number from 1 to 10000000, got \"x\"")]
    [InlineData("""{"adaptive":{"pinned":11}}""", "'adaptive.pinned' 11 is outside the adaptive bounds 'adaptive.min' (2) to 'maxActive' (10)")]
    [InlineData("""{"adaptive":"on"}""", "'adaptive' must be true, false or an object with on, min, targetP95, maxErrors, pinned, got \"on\"")]
    [InlineData("""{"adaptive":{"maxErrors":-1}}""", "'adaptive.maxErrors' must be a share from 0 to 1, such as 0.05 for 5 %, got -1")]
    public async Task AdminPatch_BadAdaptiveSetting_400WithTheReason(string body, string reason)
    {
        // Arrange
        await using var room = await StartAsync(min: 2, max: 10);
        using var admin = new AdminClient(room.Proxy.Address, Token);

        // Act
        var (status, json, _) = await admin.PatchAsync("/_wr/admin/rooms/default", body);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal([reason], json.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task AdminPatch_TurnAdaptiveOnAtRunTime_TheRoomAdmitsAgainstItsLowerBound()
    {
        // Arrange: a fixed room of 10.
        await using var room = await RoomUnderTest.StartAsync(10, settings =>
        {
            settings["WR_ADMIN_TOKEN"] = Token;
            settings["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0";
        }, RoomUnderTest.NewClock());
        using var admin = new AdminClient(room.Proxy.Address, Token);

        // Act
        var on = await admin.PatchAsync("/_wr/admin/rooms/default", """{"adaptive":{"on":true,"min":3}}""");
        var answers = await NewcomersAsync(room, 5, 1);

        // Assert
        Assert.Equal(HttpStatusCode.OK, on.Status);
        Assert.Equal(3, on.Json.GetProperty("capacity").GetInt32());
        Assert.Equal(3, answers.Count(a => a.ReachedBackend));
    }

    [Fact]
    public async Task Metrics_AdaptiveRoom_CapacityGaugeIsTheEffectiveOneAndChangesAreCounted()
    {
        // Arrange
        await using var room = await StartAsync(min: 2, max: 10);
        var holder = (await NewcomersAsync(room, 1, 1))[0];
        await room.GetAsync("/command?c=capacity%3D7", holder.Token);

        // Act: the sync loop samples the room's numbers each interval.
        await room.AdvanceAsync(TimeSpan.FromSeconds(0.2));
        PrometheusText? metrics = null;
        await WaitForAsync(async () =>
        {
            metrics = PrometheusText.Parse(await room.Client.GetStringAsync("/_wr/metrics"));
            return metrics.TryValue("wr_capacity", out var capacity, ("room", "default")) && capacity == 7;
        });

        // Assert
        Assert.Equal(1, metrics!.Value("wr_capacity_changes_total", ("room", "default"), ("reason", "origin")));
        Assert.Equal("counter", metrics.Family("wr_capacity_changes_total").Type);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true within 30 s");
            await Task.Delay(20);
        }
    }
}
