using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using WaitingRoom.Admission;
using WaitingRoom.Tests.EndToEnd;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Operations;

/// <summary>GET /_wr/admin/preview over real HTTP: the room's pages as a waiter gets them, and nothing else changes.</summary>
public sealed class PreviewEndpointTests
{
    private const string Token = "preview-test-token-0123456789";

    private const string Rooms = """
        { "rooms": [ { "name": "sale", "path": "/sale", "maxActive": 1, "title": "Winter sale" } ] }
        """;

    private static async Task<(ProxyInstance Proxy, string Prefix, string RoomsFile)> StartAsync(Action<Dictionary<string, string?>>? configure = null)
    {
        var prefix = RedisServer.NewPrefix();
        var settings = RedisServer.Shared.Settings(prefix);
        var rooms = Path.Combine(Path.GetTempPath(), $"wr-preview-rooms-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(rooms, Rooms);
        settings["WR_ADMIN_TOKEN"] = Token;
        settings["WR_MAX_ACTIVE"] = "1";
        settings["WR_ROOMS_FILE"] = rooms;
        configure?.Invoke(settings);
        return (await ProxyInstance.StartAsync(settings), prefix, rooms);
    }

    private static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> GetAsync(ProxyInstance proxy, string path, string? token = Token, string? acceptLanguage = null)
    {
        using var client = proxy.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (acceptLanguage is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage);
        }

        request.Headers.Accept.ParseAdd("application/json");
        var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    /// <summary>The room's own numbers of /_wr/metrics (the wr_* series but durations), to compare before and after.</summary>
    private static async Task<string[]> CountersAsync(ProxyInstance proxy)
    {
        using var client = proxy.Anonymous();
        var text = await client.GetStringAsync("/_wr/metrics");
        return [.. text.Split('\n').Where(line => line.StartsWith("wr_", StringComparison.Ordinal) && !line.Contains("_seconds", StringComparison.Ordinal))];
    }

    [Fact]
    public async Task Preview_QueuedAtAPositionInALanguage_TheWaitersPageAndNoCookieNoPlaceNoCounter()
    {
        // Arrange
        var (proxy, prefix, rooms) = await StartAsync();
        await using var _ = proxy;
        try
        {
            var before = await CountersAsync(proxy);
            var fr = VisitorText.Of("fr");

            // Act
            var (status, html, response) = await GetAsync(proxy, "/_wr/admin/preview?room=sale&state=queued&position=1234&lang=fr");
            var after = await CountersAsync(proxy);

            // Assert: the page (HTML, though the request asked for JSON) of the room, at its own path, in French.
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("fr", Assert.Single(response.Content.Headers.ContentLanguage));
            Assert.Contains("<html lang=\"fr\" dir=\"ltr\">", html, StringComparison.Ordinal);
            Assert.Contains("<span id=\"wr-position\">1234</span>", html, StringComparison.Ordinal);
            Assert.Contains("<span id=\"wr-ahead\">1233</span>", html, StringComparison.Ordinal);
            Assert.Contains("<h1>Winter sale</h1>", html, StringComparison.Ordinal);
            Assert.Contains(fr["placeLabel"], html, StringComparison.Ordinal);
            Assert.Contains("data-target=\"/sale\"", html, StringComparison.Ordinal);
            Assert.Contains("data-status-url=\"/_wr/status?room=sale\"", html, StringComparison.Ordinal);
            Assert.DoesNotContain("{{", html, StringComparison.Ordinal);

            // Its script cannot run (it would poll and walk into the room), and nothing was stored or counted.
            Assert.Contains("script-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            Assert.Contains("no-store", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
            Assert.False(response.Headers.Contains("Set-Cookie"));
            Assert.Empty(await RoomStore.QueueAsync(prefix, "sale"));
            Assert.Equal(0, await RoomStore.UsedAsync(prefix, "sale"));
            Assert.Equal(before, after);
        }
        finally
        {
            File.Delete(rooms);
        }
    }

    [Theory]
    [InlineData("closed", HttpStatusCode.ServiceUnavailable, "rejectedNoQueue")]
    [InlineData("rejected", HttpStatusCode.ServiceUnavailable, "rejectedNoQueue")]
    [InlineData("full", HttpStatusCode.ServiceUnavailable, "fullNoPlace")]
    [InlineData("unavailable", HttpStatusCode.ServiceUnavailable, "unavailableMessage")]
    [InlineData("challenge", HttpStatusCode.OK, "powExplain")]
    public async Task Preview_OtherStates_ThePageAWaiterGetsInTheAcceptedLanguageWithItsStatus(string state, HttpStatusCode expected, string phrase)
    {
        // Arrange
        var (proxy, prefix, rooms) = await StartAsync();
        await using var _ = proxy;
        try
        {
            var ar = VisitorText.Of("ar");

            // Act
            var (status, html, response) = await GetAsync(proxy, $"/_wr/admin/preview?state={state}", acceptLanguage: "ar-EG,ar;q=0.9");

            // Assert
            Assert.Equal(expected, status);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("<html lang=\"ar\" dir=\"rtl\">", html, StringComparison.Ordinal);
            Assert.Contains(ar[phrase].Split('{')[0], html, StringComparison.Ordinal);
            Assert.Equal(state, response.Headers.GetValues("WR-Preview").Single());
            Assert.False(response.Headers.Contains("Set-Cookie"));
            Assert.Empty(await RoomStore.QueueAsync(prefix));
            Assert.Equal(0, await RoomStore.UsedAsync(prefix, "default"));
        }
        finally
        {
            File.Delete(rooms);
        }
    }

    [Theory]
    [InlineData("?state=sold", "state='sold' is not valid: expected one of queued, closed, rejected, full, unavailable, challenge.")]
    [InlineData("?position=0", "position='0' is not valid: expected a whole number from 1 to 1000000000.")]
    [InlineData("?position=abc", "position='abc' is not valid")]
    [InlineData("?position=-3", "position='-3' is not valid")]
    [InlineData("?position=5&length=2", "length='2' is not valid: expected at least the position (5).")]
    [InlineData("?lang=xx", "lang='xx' is not valid: expected one of ar, de, en, es, fr, it, ja, nl, pl, pt, sv, zh.")]
    [InlineData("?state=queued&state=closed", "state is not valid: expected it once, not 2 times.")]
    public async Task Preview_BadParameter_400NamingIt(string query, string error)
    {
        // Arrange
        var (proxy, _, rooms) = await StartAsync();
        await using var __ = proxy;
        try
        {
            // Act
            var (status, body, _) = await GetAsync(proxy, "/_wr/admin/preview" + query);

            // Assert
            Assert.Equal(HttpStatusCode.BadRequest, status);
            using var json = JsonDocument.Parse(body);
            Assert.Equal("invalid-preview", json.RootElement.GetProperty("error").GetString());
            Assert.Contains(json.RootElement.GetProperty("errors").EnumerateArray(), e => e.GetString()!.StartsWith(error, StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(rooms);
        }
    }

    [Fact]
    public async Task Preview_UnknownRoomOrNoToken_404And401()
    {
        // Arrange
        var (proxy, _, rooms) = await StartAsync();
        await using var _ = proxy;
        try
        {
            // Act
            var (unknown, body, _) = await GetAsync(proxy, "/_wr/admin/preview?room=nope");
            var (anonymous, _, _) = await GetAsync(proxy, "/_wr/admin/preview", token: null);
            var (wrong, _, _) = await GetAsync(proxy, "/_wr/admin/preview", token: "not-the-token-at-all-0000");

            // Assert
            Assert.Equal(HttpStatusCode.NotFound, unknown);
            Assert.Contains("unknown-room", body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        }
        finally
        {
            File.Delete(rooms);
        }
    }
}
