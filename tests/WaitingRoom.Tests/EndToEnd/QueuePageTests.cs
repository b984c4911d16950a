using System.Net;
using System.Text.RegularExpressions;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>What a queued browser (or curl, without JavaScript) receives.</summary>
public sealed partial class QueuePageTests
{
    [Fact]
    public async Task Get_QueuedBrowserWithoutJavaScript_PageWithMetaRefreshPositionAndNoStore()
    {
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_MAX_ACTIVE"] = "1";
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();
        await client.GetAsync("/");
        await client.GetAsync("/");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/shop/item?id=7");
        request.Headers.Add("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");

        using var response = await client.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        Assert.Matches(MetaRefresh(), html);
        Assert.Contains("id=\"wr-position\">2<", html, StringComparison.Ordinal);
        Assert.Contains("<span id=\"wr-ahead\">1</span> <span id=\"wr-ahead-label\">person ahead of you</span>", html, StringComparison.Ordinal);
        Assert.Contains("data-target=\"/shop/item?id=7\"", html, StringComparison.Ordinal);
        Assert.Contains("data-status-url=\"/_wr/status\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("{{", html, StringComparison.Ordinal);
        Assert.Contains("<div id=\"wr-alerts\" class=\"alerts\" hidden>", html, StringComparison.Ordinal); // the alert's buttons need the script
        Assert.DoesNotContain("http://", html.Replace("http-equiv", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_QueuedVisitor_Gets503WithRetryAfterAndJsonNotThePage()
    {
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_MAX_ACTIVE"] = "1";
        await using var backend = await TestBackend.StartAsync();
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();
        await client.GetAsync("/");

        using var response = await client.PostAsync("/checkout", new StringContent("order=1"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("\"state\":\"queued\"", body, StringComparison.Ordinal);
        Assert.Equal(1, backend.Requests);
    }

    [Fact]
    public async Task Get_UnknownRoomPath_404AndNeverForwarded()
    {
        await using var backend = await TestBackend.StartAsync();
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();

        using var lower = await client.GetAsync("/_wr/secret-backend-path");
        using var upper = await client.GetAsync("/_WR/secret-backend-path");
        using var template = await client.GetAsync("/_wr/assets/queue.html");

        Assert.Equal(HttpStatusCode.NotFound, lower.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, upper.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, template.StatusCode);
        Assert.Equal(0, backend.Requests);
    }

    [Theory]
    [InlineData("de-DE,de;q=0.9,en;q=0.5", null, "de", "Ihr Platz in der Schlange")]
    [InlineData("tr-TR,en;q=0.8", null, "en", "Your place in line")]
    [InlineData("fr-FR,en;q=0.8", null, "fr", "Votre place dans la file")]
    [InlineData("zh-CN,zh;q=0.9", null, "zh", "您的排队位置")]
    [InlineData("en;q=0.4,de;q=0.9", null, "de", "Ihr Platz in der Schlange")]
    [InlineData("de", "en", "en", "Your place in line")]
    [InlineData(null, "de", "de", "Ihr Platz in der Schlange")]
    [InlineData("!!garbage;;", null, "en", "Your place in line")]
    public async Task Get_QueuedBrowser_PageInTheLanguageAskedForOrForced(string? acceptLanguage, string? forced, string expected, string phrase)
    {
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_MAX_ACTIVE"] = "1";
        settings["WR_QUEUE_LANGUAGE"] = forced;
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();
        await client.GetAsync("/");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        if (acceptLanguage is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage);
        }

        using var response = await client.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, Assert.Single(response.Content.Headers.ContentLanguage));
        Assert.Contains($"<html lang=\"{expected}\" dir=\"ltr\">", html, StringComparison.Ordinal);
        Assert.Contains(phrase, html, StringComparison.Ordinal);
        Assert.Contains("Accept-Language", response.Headers.Vary);
    }

    [Fact]
    public async Task Get_CustomQueuePage_ServedWithPlaceholders()
    {
        var page = Path.Combine(Path.GetTempPath(), $"wr-page-{Guid.NewGuid():N}.html");
        await File.WriteAllTextAsync(page, "<p>Custom: {{position}}/{{queueLength}} in {{room}}, wait {{estimatedWait}}, poll {{statusUrl}}</p>");
        try
        {
            var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
            settings["WR_MAX_ACTIVE"] = "1";
            settings["WR_QUEUE_PAGE"] = page;
            await using var custom = await ProxyInstance.StartAsync(settings);
            using var one = custom.Anonymous();
            await one.GetAsync("/");

            var customHtml = await one.GetStringAsync("/");

            // (A page that is missing or does not show the place stops start-up: ConfigFuzzTests.)
            Assert.Equal("<p>Custom: 1/1 in default, wait calculating…, poll /_wr/status</p>", customHtml);
        }
        finally
        {
            File.Delete(page);
        }
    }

    [GeneratedRegex("<noscript><meta http-equiv=\"refresh\" content=\"[1-9][0-9]*\"></noscript>")]
    private static partial Regex MetaRefresh();
}
