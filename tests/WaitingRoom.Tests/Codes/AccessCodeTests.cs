using System.Net;
using WaitingRoom.Codes;
using WaitingRoom.Tests.EndToEnd;
using WaitingRoom.Tests.Operations;
using Xunit;

namespace WaitingRoom.Tests.Codes;

/// <summary>
/// Access codes over real HTTP: the proxy on Kestrel, YARP to a real backend on loopback, Redis or the
/// in-memory store, the room in virtual time (expiry, the guess limit's minute, promotion rounds).
/// </summary>
public sealed class AccessCodeTests
{
    private const string Token = "admin-test-token-0123456789";

    private static readonly TimeSpan s_idle = TimeSpan.FromSeconds(61);

    private static Task<RoomUnderTest> StartAsync(bool redis, int maxActive = 1) =>
        RoomUnderTest.StartAsync(maxActive, settings =>
        {
            settings["WR_ADMIN_TOKEN"] = Token;
            settings["WR_ACTIVE_TTL"] = "60";
            settings["WR_QUEUE_TTL"] = "300";
            settings["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0";
            if (!redis)
            {
                settings.Remove("WR_REDIS_HOST");
                settings.Remove("WR_REDIS_PORT");
            }
        }, RoomUnderTest.NewClock());

    private static async Task<(string Id, string Code, string Link)> CreateCodeAsync(AdminClient admin, string lane, int uses, DateTimeOffset expiresAt)
    {
        var created = await admin.PostAsync("/_wr/admin/rooms/default/codes", $$"""{"uses":{{uses}},"expiresAt":"{{expiresAt:yyyy-MM-ddTHH:mm:ssZ}}","lane":"{{lane}}"}""");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        return (created.Json.GetProperty("id").GetString()!, created.Json.GetProperty("code").GetString()!, created.Json.GetProperty("link").GetString()!);
    }

    /// <summary>Active plus released, as the store of either kind says (the admin API's room).</summary>
    private static async Task<int> UsedAsync(AdminClient admin)
    {
        var json = await admin.RoomAsync();
        return json.GetProperty("active").GetInt32() + json.GetProperty("released").GetInt32();
    }

    private static DateTimeOffset InAnHour(RoomUnderTest room) => room.Clock!.GetUtcNow().AddHours(1);

    /// <summary>
    /// A visitor follows an invite link: the answer (303 when the code worked) and its token. A new visitor is
    /// sent back to the same link with its new cookie first (checked here), as a browser follows it.
    /// </summary>
    private static Task<VisitAnswer> FollowAsync(RoomUnderTest room, string code, string? token, string forwardedFor, string path = "/echo", string accept = "application/json") =>
        FollowAsync(room.Client, code, token, forwardedFor, path, accept);

    private static async Task<VisitAnswer> FollowAsync(HttpClient client, string code, string? token, string forwardedFor, string path = "/echo", string accept = "application/json")
    {
        var link = $"{path}?{AccessCodeFormat.QueryName}={code}";
        if (token is null)
        {
            var first = await Visit.GetAsync(client, link, null, forwardedFor, accept);
            Assert.Equal(HttpStatusCode.SeeOther, first.Status);
            Assert.Equal(link, first.Headers.Location!.OriginalString);
            token = first.Token ?? throw new InvalidOperationException("no cookie with the first answer");
        }

        return await Visit.GetAsync(client, link, token, forwardedFor, accept);
    }

    /// <summary>Everyone in <paramref name="pollers"/> polls while the clock passes the active TTL; then one promotion round.</summary>
    private static async Task IdleRoundAsync(RoomUnderTest room, IEnumerable<string> pollers)
    {
        foreach (var token in pollers)
        {
            await room.StatusAsync(token);
        }

        await room.AdvanceAsync(s_idle);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Codes_CreateListRevoke_ListNeverShowsTheCodeAndBadBodiesNameTheField(bool redis)
    {
        // Arrange
        await using var room = await StartAsync(redis);
        using var admin = new AdminClient(room.Proxy.Address, Token);
        var expires = InAnHour(room);

        // Act
        var (id, code, link) = await CreateCodeAsync(admin, "priority", 50, expires);
        var list = await admin.GetAsync("/_wr/admin/rooms/default/codes");
        var bad = new[]
        {
            await admin.PostAsync("/_wr/admin/rooms/default/codes", """{"uses":0,"expiresAt":"2999-01-01T00:00:00Z","lane":"skip"}"""),
            await admin.PostAsync("/_wr/admin/rooms/default/codes", """{"uses":5,"expiresAt":"yesterday","lane":"skip"}"""),
            await admin.PostAsync("/_wr/admin/rooms/default/codes", """{"uses":5,"expiresAt":"2000-01-01T00:00:00Z","lane":"skip"}"""),
            await admin.PostAsync("/_wr/admin/rooms/default/codes", $$"""{"uses":5,"expiresAt":"{{expires:O}}","lane":"vip"}"""),
            await admin.PostAsync("/_wr/admin/rooms/default/codes", $$"""{"uses":5,"expiresAt":"{{expires:O}}","lane":"skip","note":"x"}"""),
            await admin.PostAsync("/_wr/admin/rooms/default/codes", "[1]"),
        };
        var unknownRoom = await admin.PostAsync("/_wr/admin/rooms/nope/codes", $$"""{"uses":5,"expiresAt":"{{expires:O}}","lane":"skip"}""");
        using var anonymous = new AdminClient(room.Proxy.Address, token: null);
        var unauthorized = await anonymous.GetAsync("/_wr/admin/rooms/default/codes");
        var revoked = await admin.SendAsync(HttpMethod.Delete, "/_wr/admin/rooms/default/codes/" + id);
        var unknownCode = await admin.SendAsync(HttpMethod.Delete, "/_wr/admin/rooms/default/codes/aaaaaaaaaa");
        var after = await admin.GetAsync("/_wr/admin/rooms/default/codes");

        // Assert
        Assert.StartsWith(id + "-", code, StringComparison.Ordinal);
        Assert.Equal($"{room.Proxy.Address.GetLeftPart(UriPartial.Authority)}/?wr_code={code}", link);
        var listed = Assert.Single(list.Json.EnumerateArray());
        Assert.Equal(id, listed.GetProperty("id").GetString());
        Assert.Equal(("priority", 50, 0, false), (listed.GetProperty("lane").GetString(), listed.GetProperty("uses").GetInt32(), listed.GetProperty("used").GetInt32(), listed.GetProperty("revoked").GetBoolean()));
        Assert.Equal(expires.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), listed.GetProperty("expiresAt").GetString());
        Assert.True(listed.TryGetProperty("createdAt", out _));
        Assert.DoesNotContain(code, list.Json.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(code[(AccessCodeFormat.IdLength + 1)..], list.Json.GetRawText(), StringComparison.Ordinal);
        Assert.All(bad, b => Assert.Equal(HttpStatusCode.BadRequest, b.Status));
        Assert.Contains("'uses'", bad[0].Json.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("'expiresAt'", bad[1].Json.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("'expiresAt'", bad[2].Json.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("'lane'", bad[3].Json.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("'note'", bad[4].Json.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknownRoom.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.Status);
        Assert.Equal(HttpStatusCode.OK, revoked.Status);
        Assert.True(revoked.Json.GetProperty("revoked").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, unknownCode.Status);
        Assert.True(Assert.Single(after.Json.EnumerateArray()).GetProperty("revoked").GetBoolean());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Link_SkipCode_RedirectsWithoutTheParameterAndIsAdmittedAtTheNextFreeSlot(bool redis)
    {
        // Arrange: A holds the only slot, B waits.
        await using var room = await StartAsync(redis);
        using var admin = new AdminClient(room.Proxy.Address, Token);
        var (a, b) = await room.HolderAndWaiterAsync();
        var (_, code, _) = await CreateCodeAsync(admin, "skip", 1, InAnHour(room));

        // Act: C arrives with the link on a URL with other parameters.
        var preview = await room.GetAsync($"/echo?x=1&{AccessCodeFormat.QueryName}={code}&y=%20two", forwardedFor: "198.51.100.4");
        var fresh = await room.GetAsync($"/echo?x=1&{AccessCodeFormat.QueryName}={code}&y=%20two", forwardedFor: "198.51.100.3");
        var link = await room.GetAsync($"/echo?x=1&{AccessCodeFormat.QueryName}={code}&y=%20two", fresh.Token, "198.51.100.3");
        var c = await room.GetAsync("/echo?x=1&y=%20two", link.Token, "198.51.100.3");
        var waiter = await room.StatusAsync(b.Token!);
        await IdleRoundAsync(room, [b.Token!, c.Token!]);
        var cIn = await room.GetAsync("/echo", c.Token, "198.51.100.3");
        var bStill = await room.GetAsync("/echo", b.Token, "198.51.100.2");
        var used = await UsedAsync(admin);

        // Assert
        Assert.Equal(HttpStatusCode.SeeOther, preview.Status);
        Assert.Equal($"/echo?x=1&{AccessCodeFormat.QueryName}={code}&y=%20two", preview.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.SeeOther, link.Status);
        Assert.Equal("/echo?x=1&y=%20two", link.Headers.Location!.OriginalString);
        Assert.NotNull(link.Token);
        Assert.Equal(("queued", 1), (c.State, c.Number("position")));
        Assert.Equal(1, waiter.Number("position"));
        Assert.True(cIn.ReachedBackend, cIn.Body);
        Assert.Equal(("queued", 1), (bStill.State, bStill.Number("position")));
        Assert.Equal(1, used);
        Assert.NotNull(a.Token);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Link_PriorityAndSkip_LanesFirstGeneralLineKeepsFifoAndItsPositions(bool redis)
    {
        // Arrange: A holds the slot; G1, G2 wait; P1, P2 redeem priority, then S1 skip.
        await using var room = await StartAsync(redis);
        using var admin = new AdminClient(room.Proxy.Address, Token);
        await room.TakeOnlySlotAsync("198.51.100.1");
        var g1 = await room.GetAsync("/echo", forwardedFor: "198.51.100.11");
        var g2 = await room.GetAsync("/echo", forwardedFor: "198.51.100.12");
        var (_, priority, _) = await CreateCodeAsync(admin, "priority", 10, InAnHour(room));
        var (_, skip, _) = await CreateCodeAsync(admin, "skip", 10, InAnHour(room));
        var p1 = await FollowAsync(room, priority, null, "198.51.100.21");
        var p2 = await FollowAsync(room, priority, null, "198.51.100.22");
        var s1 = await FollowAsync(room, skip, null, "198.51.100.31");
        var visitors = new Dictionary<string, string> { ["S1"] = s1.Token!, ["P1"] = p1.Token!, ["P2"] = p2.Token!, ["G1"] = g1.Token!, ["G2"] = g2.Token! };

        // Act: five rounds; whoever is released comes in, then goes idle.
        var admitted = new List<string>();
        var generalPositions = new List<(long G1, long G2)>();
        for (var round = 0; round < 5; round++)
        {
            var waiting = visitors.Where(v => !admitted.Contains(v.Key)).ToList();
            var g1Status = await room.StatusAsync(visitors["G1"]);
            var g2Status = await room.StatusAsync(visitors["G2"]);
            generalPositions.Add((g1Status.State == "queued" ? g1Status.Number("position") : 0, g2Status.State == "queued" ? g2Status.Number("position") : 0));
            await IdleRoundAsync(room, waiting.Select(v => v.Value));
            foreach (var (name, token) in waiting)
            {
                if ((await room.StatusAsync(token)).State == "released")
                {
                    Assert.True((await room.GetAsync("/echo", token)).ReachedBackend);
                    admitted.Add(name);
                }
            }

            Assert.Equal(1, await UsedAsync(admin));
        }

        // Assert
        Assert.Equal(["S1", "P1", "P2", "G1", "G2"], admitted);
        Assert.Equal([(1L, 2L), (1L, 2L), (1L, 2L), (1L, 2L), (0L, 1L)], generalPositions);
    }

    [Fact]
    public async Task Link_ManyVisitorsOnTwoInstancesAtOnce_UsesAreCountedExactly()
    {
        // Arrange: two proxies on one Redis.
        await using var room = await StartAsync(redis: true);
        await using var second = await room.StartInstanceAsync();
        using var admin = new AdminClient(room.Proxy.Address, Token);
        await room.TakeOnlySlotAsync("198.51.100.1");
        var (id, code, _) = await CreateCodeAsync(admin, "priority", 5, InAnHour(room));
        using var other = second.Anonymous();

        // Act: 40 new visitors at once, every other one through the second instance.
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            FollowAsync(i % 2 == 0 ? room.Client : other, code, null, $"203.0.113.{i + 1}"))));
        var listed = Assert.Single((await admin.GetAsync("/_wr/admin/rooms/default/codes")).Json.EnumerateArray());

        // Assert
        Assert.Equal(5, answers.Count(a => a.Status == HttpStatusCode.SeeOther));
        Assert.Equal(35, answers.Count(a => a.Status == HttpStatusCode.Gone && a.Text("code") == "used-up"));
        Assert.Equal((id, 5), (listed.GetProperty("id").GetString(), listed.GetProperty("used").GetInt32()));
        Assert.Equal(5, await room.CountAsync("queue"));
        Assert.Equal(1, await UsedAsync(admin));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Link_UsedUpRevokedOrExpired_ClearPageAndTheWaiterKeepsItsPlace(bool redis)
    {
        // Arrange: A holds the slot, B waits; three codes that do not work for B.
        await using var room = await StartAsync(redis);
        using var admin = new AdminClient(room.Proxy.Address, Token);
        var (_, b) = await room.HolderAndWaiterAsync();
        var (_, usedUp, _) = await CreateCodeAsync(admin, "skip", 1, InAnHour(room));
        var (revokedId, revoked, _) = await CreateCodeAsync(admin, "skip", 5, InAnHour(room));
        var (_, expiring, _) = await CreateCodeAsync(admin, "skip", 5, room.Clock!.GetUtcNow().AddMinutes(1));
        await FollowAsync(room, usedUp, null, "198.51.100.9");
        await admin.SendAsync(HttpMethod.Delete, "/_wr/admin/rooms/default/codes/" + revokedId);
        await room.StatusAsync(b.Token!);
        room.Clock.Advance(TimeSpan.FromMinutes(1));

        // Act
        var pages = new[]
        {
            await FollowAsync(room, usedUp, b.Token, "198.51.100.2", accept: "text/html"),
            await FollowAsync(room, revoked, b.Token, "198.51.100.2", accept: "text/html"),
            await FollowAsync(room, expiring, b.Token, "198.51.100.2", accept: "text/html"),
        };
        var german = await room.GetAsync($"/echo?{AccessCodeFormat.QueryName}={expiring}", b.Token, "198.51.100.2", "text/html", new Dictionary<string, string> { ["Accept-Language"] = "de" });
        var json = await FollowAsync(room, usedUp, b.Token, "198.51.100.2");
        var place = await room.StatusAsync(b.Token!);

        // Assert
        Assert.All(pages, p => Assert.Equal(HttpStatusCode.Gone, p.Status));
        Assert.Contains("This code has been used up.", pages[0].Body, StringComparison.Ordinal);
        Assert.Contains("This code is not valid.", pages[1].Body, StringComparison.Ordinal);
        Assert.Contains("This code has expired.", pages[2].Body, StringComparison.Ordinal);
        Assert.Contains("href=\"/echo\"", pages[2].Body, StringComparison.Ordinal);
        Assert.Contains("Dieser Code ist abgelaufen.", german.Body, StringComparison.Ordinal);
        Assert.Equal(("code", "used-up"), (json.State, json.Text("code")));
        Assert.Equal(("queued", 1), (place.State, place.Number("position")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Link_WrongCodesFromOneAddress_429AfterTenUntilTheMinuteEnds(bool redis)
    {
        // Arrange
        await using var room = await StartAsync(redis);
        using var admin = new AdminClient(room.Proxy.Address, Token);
        var (_, code, _) = await CreateCodeAsync(admin, "skip", 10, InAnHour(room));
        var start = room.Clock!.GetUtcNow();
        room.Clock.Advance(TimeSpan.FromMilliseconds(60_000 - (start.ToUnixTimeMilliseconds() % 60_000) + 1)); // the start of a clock minute

        // Act
        var wrong = new List<VisitAnswer>();
        for (var i = 0; i < 11; i++)
        {
            wrong.Add(await FollowAsync(room, i % 2 == 0 ? "not-a-code" : code[..^1] + (code[^1] == 'a' ? 'b' : 'a'), null, "192.0.2.7"));
        }

        var rightButBlocked = await FollowAsync(room, code, null, "192.0.2.7");
        var otherAddress = await FollowAsync(room, code, null, "192.0.2.8");
        room.Clock.Advance(TimeSpan.FromSeconds(60));
        var nextMinute = await FollowAsync(room, code, null, "192.0.2.7");
        var metrics = await room.Client.GetStringAsync("/_wr/metrics");

        // Assert
        Assert.All(wrong.Take(10), w => Assert.Equal((HttpStatusCode.NotFound, "invalid"), (w.Status, w.Text("code"))));
        Assert.Equal(HttpStatusCode.TooManyRequests, wrong[10].Status);
        Assert.Equal("60", wrong[10].Headers.RetryAfter!.ToString());
        Assert.Equal(HttpStatusCode.TooManyRequests, rightButBlocked.Status);
        Assert.Equal(HttpStatusCode.SeeOther, otherAddress.Status);
        Assert.Equal(HttpStatusCode.SeeOther, nextMinute.Status);
        var limited = metrics.Split('\n').Single(l => l.StartsWith("wr_code_redemptions_total{", StringComparison.Ordinal) && l.Contains("outcome=\"too-many-attempts\"", StringComparison.Ordinal));
        Assert.EndsWith(" 2", limited.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("wr_code_redemptions_total{", StringComparison.Ordinal) && l.Contains("outcome=\"invalid\"", StringComparison.Ordinal) && l.TrimEnd().EndsWith(" 10", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Form_QueuePage_OffersTheFormAndAPostWithTheCookieRedeems(bool redis)
    {
        // Arrange
        await using var room = await StartAsync(redis);
        using var admin = new AdminClient(room.Proxy.Address, Token);
        var (_, b) = await room.HolderAndWaiterAsync();
        var (_, code, _) = await CreateCodeAsync(admin, "skip", 5, InAnHour(room));
        var page = await room.GetAsync("/shop", b.Token, "198.51.100.2", "text/html");
        using var client = room.Proxy.Anonymous();

        async Task<HttpResponseMessage> PostAsync(string? token, string? site)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/_wr/code")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["code"] = code, ["room"] = "default", ["target"] = "/shop?id=7" }),
            };
            if (token is not null)
            {
                request.Headers.Add("Cookie", "wr_token=" + token);
            }

            if (site is not null)
            {
                request.Headers.Add("Sec-Fetch-Site", site);
            }

            return await client.SendAsync(request);
        }

        // Act
        using var crossSite = await PostAsync(b.Token, "cross-site");
        using var noCookie = await PostAsync(null, "same-origin");
        using var malformed = new HttpRequestMessage(HttpMethod.Post, "/_wr/code") { Content = new StringContent("--x\r\nnot a part") };
        malformed.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=x");
        malformed.Headers.Add("Cookie", "wr_token=" + b.Token);
        malformed.Headers.Add("Sec-Fetch-Site", "same-origin");
        using var broken = await client.SendAsync(malformed);
        using var sameSite = await PostAsync(b.Token, "same-origin");
        var place = await room.StatusAsync(b.Token!);
        var listed = Assert.Single((await admin.GetAsync("/_wr/admin/rooms/default/codes")).Json.EnumerateArray());

        // Assert
        Assert.Contains("action=\"/_wr/code\"", page.Body, StringComparison.Ordinal);
        Assert.Contains("name=\"code\"", page.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, noCookie.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, sameSite.StatusCode);
        Assert.Equal("/shop?id=7", sameSite.Headers.Location!.OriginalString);
        Assert.Equal(("queued", 1), (place.State, place.Number("position")));
        Assert.Equal(1, listed.GetProperty("used").GetInt32());
    }

    [Theory]
    [InlineData("?wr_code=x", "")]
    [InlineData("?a=1&wr_code=x&b=%26", "?a=1&b=%26")]
    [InlineData("?WR_CODE=x&a", "?a")]
    [InlineData("?a=1&wr_code=x&wr_code=y", "?a=1")]
    [InlineData("?wr%5Fcode=x&b=2", "?b=2")]
    public void Without_TheParameter_KeepsTheOthersAsSent(string query, string expected) =>
        Assert.Equal(expected, AccessCodeMiddleware.Without(query, AccessCodeFormat.QueryName));

    [Fact]
    public void Create_Codes_AreUrlSafeAndParseBack()
    {
        var (id, code) = AccessCodeFormat.Create();

        Assert.True(AccessCodeFormat.TryParse(" " + code.ToUpperInvariant() + " ", out var parsedId, out var parsed));
        Assert.Equal((id, code), (parsedId, parsed));
        Assert.Equal(code, Uri.EscapeDataString(code));
        Assert.False(AccessCodeFormat.TryParse(code[..^1], out _, out _));
        Assert.NotEqual(AccessCodeFormat.Hash("default", code), AccessCodeFormat.Hash("other", code));
        Assert.Equal(64, AccessCodeFormat.Hash("default", code).Length);
    }
}
