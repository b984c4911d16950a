using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Tests.EndToEnd;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Operations;

/// <summary>The admin API over real HTTP: a proxy on Kestrel, Redis, a backend; several instances where the cluster matters.</summary>
public sealed class AdminApiTests
{
    private const string Token = "admin-test-token-0123456789";

    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(0.3);

    /// <summary>Generous: only for what a loop does asynchronously after a tick of the virtual clock.</summary>
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(30);

    private static Task<RoomUnderTest> StartAsync(int maxActive, Action<Dictionary<string, string?>>? configure = null, FakeTimeProvider? clock = null) =>
        RoomUnderTest.StartAsync(maxActive, settings =>
        {
            settings["WR_ADMIN_TOKEN"] = Token;
            settings["WR_RELEASE_INTERVAL"] = "0.3";
            configure?.Invoke(settings);
        }, clock);

    /// <summary><paramref name="count"/> visitors from distinct addresses; returns their answers in order.</summary>
    private static async Task<List<VisitAnswer>> VisitorsAsync(RoomUnderTest room, int count, int first = 1)
    {
        var answers = new List<VisitAnswer>();
        for (var i = first; i < first + count; i++)
        {
            answers.Add(await room.GetAsync("/echo", forwardedFor: $"198.51.100.{i}"));
        }

        return answers;
    }

    [Fact]
    public async Task AdminApi_MissingWrongOrMalformedToken_SameBare401AndTheRightTokenGetsIn()
    {
        // Arrange
        await using var room = await StartAsync(2);
        using var anonymous = new AdminClient(room.Proxy.Address, token: null);
        using var wrong = new AdminClient(room.Proxy.Address, token: Token + "x");
        using var right = new AdminClient(room.Proxy.Address, Token);

        // Act
        var answers = new[]
        {
            await anonymous.GetAsync("/_wr/admin/rooms"),
            await wrong.GetAsync("/_wr/admin/rooms"),
            await anonymous.SendAsync(HttpMethod.Get, "/_wr/admin/rooms", authorization: "Basic " + Token),
            await anonymous.SendAsync(HttpMethod.Get, "/_wr/admin/rooms", authorization: "Bearer"),
            await anonymous.SendAsync(HttpMethod.Get, "/_wr/admin/rooms", authorization: "Bearer " + Token[..^1]),
            await anonymous.SendAsync(HttpMethod.Patch, "/_wr/admin/rooms/default", "{\"maxActive\":99}"),
        };
        var allowed = await right.GetAsync("/_wr/admin/rooms");
        var unchanged = await right.RoomAsync();

        // Assert
        Assert.All(answers, a =>
        {
            Assert.Equal(HttpStatusCode.Unauthorized, a.Status);
            Assert.Equal("""{"error":"unauthorized"}""", a.Json.GetRawText());
            Assert.StartsWith("Bearer", a.Response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        });
        Assert.Equal(HttpStatusCode.OK, allowed.Status);
        Assert.Equal(2, unchanged.GetProperty("maxActive").GetInt32());
    }

    [Fact]
    public async Task AdminApi_TokenUnset_IsNotThere()
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(2);
        using var client = new AdminClient(room.Proxy.Address, Token);

        // Act
        var api = await client.SendAsync(HttpMethod.Get, "/_wr/admin/rooms");
        var page = await client.SendAsync(HttpMethod.Get, "/_wr/admin/");

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, api.Status);
        Assert.Equal(HttpStatusCode.NotFound, page.Status);
        Assert.Equal(0, room.Backend.Requests);
    }

    [Fact]
    public async Task GetRooms_VisitorsActiveAndQueued_ShowsTheStoreNumbersAndSettings()
    {
        // Arrange
        await using var room = await StartAsync(2);
        await VisitorsAsync(room, 5);
        using var admin = new AdminClient(room.Proxy.Address, Token);

        // Act
        var json = await admin.RoomAsync();

        // Assert
        Assert.Equal(2, json.GetProperty("maxActive").GetInt32());
        Assert.Equal(2, json.GetProperty("capacity").GetInt32());
        Assert.Equal(2, json.GetProperty("active").GetInt64());
        Assert.Equal(3, json.GetProperty("queued").GetInt64());
        Assert.Equal(2, json.GetProperty("admittedTotal").GetInt64());
        Assert.Equal("fifo", json.GetProperty("queueMode").GetString());
        Assert.Equal("normal", json.GetProperty("phase").GetString());
        Assert.False(json.GetProperty("draining").GetBoolean());
        Assert.Equal("{}", json.GetProperty("overrides").GetRawText());
    }

    [Fact]
    public async Task PatchRoom_CapacityRaised_EveryInstanceFollowsWithinAnIntervalAndARestartKeepsIt()
    {
        // Arrange: two instances of one room on one virtual clock; the change goes through the first.
        await using var room = await StartAsync(2, clock: RoomUnderTest.NewClock());
        await using var second = await room.StartInstanceAsync();
        await VisitorsAsync(room, 5);
        using var first = new AdminClient(room.Proxy.Address, Token);
        using var other = new AdminClient(second.Address, Token);

        // Act: the second instance sees the change at its next tick, one interval later.
        var patched = await first.PatchAsync("/_wr/admin/rooms/default", """{"maxActive":4,"newUsersPerMinute":120}""");
        var beforeTheTick = (await other.RoomAsync()).GetProperty("maxActive").GetInt32();
        await room.AdvanceAsync(s_interval);
        await Visit.UntilAsync(async () => (await other.RoomAsync()).GetProperty("maxActive").GetInt32() == 4, s_patience, "the second instance takes the new capacity at its tick");
        var queuedAfterTheRound = (await first.RoomAsync()).GetProperty("queued").GetInt64();
        await using var restarted = await room.StartInstanceAsync();
        using var third = new AdminClient(restarted.Address, Token);
        await Visit.UntilAsync(async () => (await third.RoomAsync()).GetProperty("maxActive").GetInt32() == 4, s_patience, "a new instance loads the stored setting at its first pass");

        // Assert
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal(4, patched.Json.GetProperty("maxActive").GetInt32());
        Assert.Equal(120, patched.Json.GetProperty("newUsersPerMinute").GetInt32());
        Assert.Equal("""{"maxActive":4,"newUsersPerMinute":120}""", patched.Json.GetProperty("overrides").GetRawText());
        Assert.Equal(2, beforeTheTick);
        Assert.Equal(1, queuedAfterTheRound);
        Assert.Equal(4, await room.UsedAsync());
    }

    [Fact]
    public async Task PatchRoom_NullValue_GoesBackToTheConfiguredSetting()
    {
        // Arrange
        await using var room = await StartAsync(2);
        using var admin = new AdminClient(room.Proxy.Address, Token);
        await admin.PatchAsync("/_wr/admin/rooms/default", """{"maxActive":7,"queueMode":"random"}""");

        // Act
        var back = await admin.PatchAsync("/_wr/admin/rooms/default", """{"maxActive":null}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, back.Status);
        Assert.Equal(2, back.Json.GetProperty("maxActive").GetInt32());
        Assert.Equal("random", back.Json.GetProperty("queueMode").GetString());
        Assert.Equal("""{"queueMode":"random"}""", back.Json.GetProperty("overrides").GetRawText());
    }

    [Theory]
    [InlineData("""{"maxActive":-1}""", HttpStatusCode.BadRequest, "invalid-settings")]
    [InlineData("""{"queueMode":"lottery"}""", HttpStatusCode.BadRequest, "invalid-settings")]
    [InlineData("""{"path":"/"}""", HttpStatusCode.BadRequest, "invalid-settings")]
    [InlineData("""{"maxActive":""", HttpStatusCode.BadRequest, "invalid-json")]
    [InlineData("""[{"maxActive":5}]""", HttpStatusCode.BadRequest, "invalid-json")]
    public async Task PatchRoom_BadBody_ClearErrorAndNothingChanges(string body, HttpStatusCode status, string error)
    {
        // Arrange
        await using var room = await StartAsync(2);
        using var admin = new AdminClient(room.Proxy.Address, Token);

        // Act
        var answer = await admin.PatchAsync("/_wr/admin/rooms/default", body);
        var after = await admin.RoomAsync();

        // Assert
        Assert.Equal(status, answer.Status);
        Assert.Equal(error, answer.Json.GetProperty("error").GetString());
        Assert.NotEmpty(answer.Json.GetProperty("errors").EnumerateArray());
        Assert.Equal(2, after.GetProperty("maxActive").GetInt32());
        Assert.Equal("{}", after.GetProperty("overrides").GetRawText());
    }

    [Fact]
    public async Task PatchRoom_UnknownRoomOrNonJsonBody_404And415()
    {
        // Arrange
        await using var room = await StartAsync(2);
        using var admin = new AdminClient(room.Proxy.Address, Token);
        using var form = new HttpClient { BaseAddress = room.Proxy.Address };
        using var request = new HttpRequestMessage(HttpMethod.Patch, "/_wr/admin/rooms/default") { Content = new FormUrlEncodedContent([new("maxActive", "5")]) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);

        // Act
        var unknown = await admin.PatchAsync("/_wr/admin/rooms/nosuchroom", """{"maxActive":5}""");
        using var formAnswer = await form.SendAsync(request);

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("unknown-room", unknown.Json.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, formAnswer.StatusCode);
    }

    [Fact]
    public async Task Drain_ActiveVisitorKeepsGoingNewcomersQueue_ThenResumeLetsThemIn()
    {
        // Arrange
        await using var room = await StartAsync(2, clock: RoomUnderTest.NewClock());
        var active = await room.GetAsync("/echo", forwardedFor: "198.51.100.1");
        using var admin = new AdminClient(room.Proxy.Address, Token);

        // Act
        var drained = await admin.PostAsync("/_wr/admin/rooms/default/drain");
        var stillIn = await room.GetAsync("/echo", active.Token, "198.51.100.1");
        var newcomer = await room.GetAsync("/echo", forwardedFor: "198.51.100.2");
        await room.AdvanceAsync(s_interval);
        var whileDraining = await room.StatusAsync(newcomer.Token!);
        var resumed = await admin.PostAsync("/_wr/admin/rooms/default/resume");
        await room.AdvanceAsync(s_interval);
        var afterResume = await room.StatusAsync(newcomer.Token!);

        // Assert
        Assert.True(active.ReachedBackend, active.Body);
        Assert.Equal(HttpStatusCode.OK, drained.Status);
        Assert.True(drained.Json.GetProperty("draining").GetBoolean());
        Assert.Equal(0, drained.Json.GetProperty("capacity").GetInt32());
        Assert.True(stillIn.ReachedBackend, stillIn.Body);
        Assert.Equal("queued", newcomer.State);
        Assert.Equal("queued", whileDraining.State);
        Assert.Equal("released", afterResume.State);
        Assert.False(resumed.Json.GetProperty("draining").GetBoolean());
        Assert.Equal(2, resumed.Json.GetProperty("capacity").GetInt32());
    }

    [Fact]
    public async Task Reset_WithoutConfirmRefused_WithConfirmEmptiesTheQueueAndKeepsActives()
    {
        // Arrange
        await using var room = await StartAsync(1);
        var visitors = await VisitorsAsync(room, 4);
        using var admin = new AdminClient(room.Proxy.Address, Token);

        // Act
        var refused = await admin.PostAsync("/_wr/admin/rooms/default/reset");
        var queuedBefore = await room.CountAsync("queue");
        var reset = await admin.PostAsync("/_wr/admin/rooms/default/reset?confirm=true");
        var formerWaiter = await room.StatusAsync(visitors[1].Token!);
        var holder = await room.GetAsync("/echo", visitors[0].Token, "198.51.100.1");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal("confirm-required", refused.Json.GetProperty("error").GetString());
        Assert.Equal(3, queuedBefore);
        Assert.Equal(HttpStatusCode.OK, reset.Status);
        Assert.Equal(3, reset.Json.GetProperty("removed").GetInt64());
        Assert.Equal(0, await room.CountAsync("queue"));
        Assert.Equal("unknown", formerWaiter.State);
        Assert.True(holder.ReachedBackend, holder.Body);
    }

    [Fact]
    public async Task Release_ActiveVisitorsToken_FreesTheSlotForTheNextInLine()
    {
        // Arrange
        await using var room = await StartAsync(1, clock: RoomUnderTest.NewClock());
        var (holder, waiter) = await room.HolderAndWaiterAsync();
        using var admin = new AdminClient(room.Proxy.Address, Token);
        var body = $$"""{"token":"{{holder.Token}}"}""";

        // Act
        var released = await admin.PostAsync("/_wr/admin/rooms/default/release", body);
        var again = await admin.PostAsync("/_wr/admin/rooms/default/release", body);
        var forged = await admin.PostAsync("/_wr/admin/rooms/default/release", """{"token":"not-a-signed-token"}""");
        await room.AdvanceAsync(s_interval);
        var waiterAfter = await room.StatusAsync(waiter.Token!);

        // Assert
        Assert.Equal(HttpStatusCode.OK, released.Status);
        Assert.Equal(HttpStatusCode.NotFound, again.Status);
        Assert.Equal("not-active", again.Json.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
        Assert.Equal("invalid-token", forged.Json.GetProperty("error").GetString());
        Assert.Equal("released", waiterAfter.State);
    }

    [Fact]
    public async Task Changes_WriteOneAuditLineEachWithTheTokenIdNeverTheToken()
    {
        // Arrange
        var capture = new LogCapture();
        await using var backend = await TestBackend.StartAsync();
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        settings["WR_ADMIN_TOKEN"] = Token;
        await using var proxy = await ProxyInstance.StartAsync(settings, services => services.AddSingleton<ILoggerProvider>(capture));
        using var admin = new AdminClient(proxy.Address, Token);

        // Act
        await admin.PatchAsync("/_wr/admin/rooms/default", """{"maxActive":9}""");
        await admin.PostAsync("/_wr/admin/rooms/default/drain");
        await admin.PatchAsync("/_wr/admin/rooms/default", """{"maxActive":"nine"}""");
        await admin.GetAsync("/_wr/admin/rooms");

        // Assert
        var audit = capture.Entries.Where(e => e.Category == "WaitingRoom.Audit").ToList();
        Assert.Equal(2, audit.Count);
        Assert.Contains("did patch on room default: {} -> {\"maxActive\":9}", audit[0].Message, StringComparison.Ordinal);
        Assert.Contains("did drain on room default: {\"maxActive\":9} -> {\"maxActive\":9,\"draining\":true}", audit[1].Message, StringComparison.Ordinal);
        Assert.All(audit, e =>
        {
            Assert.Matches("token:[0-9a-f]{8}", e.Message);
            Assert.DoesNotContain(Token, e.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task History_AfterSomeRounds_HasPointsWithTheRoomsNumbers()
    {
        // Arrange
        await using var room = await StartAsync(1);
        await VisitorsAsync(room, 3);
        using var admin = new AdminClient(room.Proxy.Address, Token);

        // Act
        System.Text.Json.JsonElement last = default;
        await Visit.UntilAsync(
            async () =>
            {
                var (_, json, _) = await admin.GetAsync("/_wr/admin/rooms/default/history");
                var points = json.GetProperty("points");
                if (points.GetArrayLength() == 0)
                {
                    return false;
                }

                last = points[points.GetArrayLength() - 1];
                return last.GetProperty("queued").GetInt64() == 2;
            },
            TimeSpan.FromSeconds(40), // the store's minutes are flushed every 10 s
            "a history point with the two waiters");

        // Assert
        Assert.Equal(1, last.GetProperty("active").GetInt64());
        Assert.Equal(1, last.GetProperty("capacity").GetInt32());
        Assert.True(DateTimeOffset.TryParse(last.GetProperty("time").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public async Task Dashboard_PageAndAssets_ServedWithoutTokenUnderAStrictPolicy()
    {
        // Arrange
        await using var room = await StartAsync(1);
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = room.Proxy.Address };

        // Act
        using var bare = await client.GetAsync("/_wr/admin");
        using var page = await client.GetAsync("/_wr/admin/");
        using var script = await client.GetAsync("/_wr/admin/admin.js");
        using var other = await client.GetAsync("/_wr/admin/secrets.txt");

        // Assert
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/_wr/admin/", bare.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(0, room.Backend.Requests);
    }
}
