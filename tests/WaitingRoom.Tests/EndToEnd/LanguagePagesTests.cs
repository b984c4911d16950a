using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using WaitingRoom.Admission;
using WaitingRoom.Tests.Admission;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>Every shipped language's pages through the real app, chosen by the browser's Accept-Language.</summary>
public sealed partial class LanguagePagesTests
{
    private static readonly HtmlEncoder s_html = HtmlEncoder.Create(UnicodeRanges.All);

    public static TheoryData<string> Shipped => TranslationTests.Shipped;

    [Theory]
    [MemberData(nameof(Shipped))]
    public async Task Get_QueuedBrowserAskingForTheLanguage_QueuePageInItWithItsDirectionAndScriptPhrases(string language)
    {
        // Arrange
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_MAX_ACTIVE"] = "1";
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();
        await client.GetAsync("/");
        var text = VisitorText.Of(language);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/shop");
        request.Headers.TryAddWithoutValidation("Accept-Language", $"{language}-XX,{language};q=0.9,en;q=0.1");
        request.Headers.TryAddWithoutValidation("Accept", "text/html");

        // Act
        using var response = await client.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(language, Assert.Single(response.Content.Headers.ContentLanguage));
        Assert.Contains($"<html lang=\"{language}\" dir=\"{(language == "ar" ? "rtl" : "ltr")}\">", html, StringComparison.Ordinal);
        Assert.Contains($"<title>{s_html.Encode(text.QueueTitle)}</title>", html, StringComparison.Ordinal);
        Assert.Contains($"<p class=\"pos-label\">{s_html.Encode(text["placeLabel"])}</p>", html, StringComparison.Ordinal);
        Assert.Contains($"<dd id=\"wr-wait\">{s_html.Encode(text.Calculating)}</dd>", html, StringComparison.Ordinal);
        Assert.Contains($"<span id=\"wr-ahead\">0</span> <span id=\"wr-ahead-label\">{s_html.Encode(text.PeopleAhead)}</span>", html, StringComparison.Ordinal);
        var refresh = text["autoRefresh"].Split("{refreshSeconds}");
        Assert.Matches(Regex.Escape(s_html.Encode(refresh[0])) + "[1-9][0-9]*" + Regex.Escape(s_html.Encode(refresh[1])), html);
        Assert.DoesNotContain("{{", html, StringComparison.Ordinal);
        var script = JsonSerializer.Deserialize<Dictionary<string, string>>(WebUtility.HtmlDecode(ScriptText().Match(html).Groups[1].Value))!;
        Assert.Equal(text.YourTurnTitle, script["yourTurnTitle"]);
        Assert.Equal(text["aboutMinutes"], script["aboutMinutes"]);
    }

    [Theory]
    [InlineData("ar", "rtl")]
    [InlineData("ja", "ltr")]
    public async Task Get_FullRoomInRejectMode_ClosedPageInTheLanguage(string language, string direction)
    {
        // Arrange
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_MAX_ACTIVE"] = "1";
        settings["WR_QUEUE_MODE"] = "reject";
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();
        await client.GetAsync("/");
        var text = VisitorText.Of(language);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Accept-Language", language);

        // Act
        using var response = await client.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains($"<html lang=\"{language}\" dir=\"{direction}\">", html, StringComparison.Ordinal);
        Assert.Contains($"<h1>{s_html.Encode(text.RejectedTitle)}</h1>", html, StringComparison.Ordinal);
        Assert.Contains(s_html.Encode(text["tryAgain"]), html, StringComparison.Ordinal);
        Assert.DoesNotContain("{", html[html.IndexOf("<body>", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    [GeneratedRegex("data-text=\"([^\"]*)\"")]
    private static partial Regex ScriptText();
}
