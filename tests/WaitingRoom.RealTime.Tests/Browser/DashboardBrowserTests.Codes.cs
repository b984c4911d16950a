using System.Drawing;
using System.Net.Http.Headers;
using System.Text.Json;
using OpenQA.Selenium;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Browser;

/// <summary>The dashboard's access codes section (wwwroot/admin/codes.js) in a real browser.</summary>
public sealed partial class DashboardBrowserTests
{
    [Fact]
    public async Task Dashboard_Codes_CreateShowsTheCodeOnceListsItAndRevokes()
    {
        // Arrange
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await StartProxyAsync(backend);
        using var browser = StartChromium(new Size(1280, 1600));
        browser.Navigate().GoToUrl(new Uri(proxy.Address, "/_wr/admin/"));
        SignIn(browser, AdminToken);
        WaitFor(browser, "the code form with the default room", b => b.FindElements(By.CssSelector("#code-room option[value='default']")).Count == 1);

        // Act: a priority code of 3 uses.
        var uses = browser.FindElement(By.Id("code-uses"));
        uses.Clear();
        uses.SendKeys("3");
        browser.FindElement(By.CssSelector("#code-lane option[value='priority']")).Click();
        browser.FindElement(By.CssSelector("#code-create button[type='submit']")).Click();
        var code = WaitFor(browser, "the new code", b => b.FindElement(By.Id("code-value")).Text is { Length: > 0 } text ? text : null)!;
        var link = browser.FindElement(By.Id("code-link")).Text;
        var row = WaitFor(browser, "the code's row", b => b.FindElements(By.CssSelector("#codes tbody tr")).Count == 1 ? b.FindElement(By.CssSelector("#codes tbody tr")).Text : null);
        var listed = Assert.Single((await CodesAsync(proxy)).EnumerateArray());

        // Act: revoke it (the page asks first).
        browser.FindElement(By.CssSelector("#codes tbody button")).Click();
        browser.SwitchTo().Alert().Accept();
        WaitFor(browser, "the row shows revoked", b => b.FindElement(By.CssSelector("#codes tbody tr")).Text.Contains("revoked", StringComparison.Ordinal));
        var after = Assert.Single((await CodesAsync(proxy)).EnumerateArray());

        // Assert
        Assert.EndsWith("?wr_code=" + code, link, StringComparison.Ordinal);
        Assert.StartsWith(listed.GetProperty("id").GetString() + "-", code, StringComparison.Ordinal);
        Assert.Contains("priority", row, StringComparison.Ordinal);
        Assert.Contains("0 / 3", row, StringComparison.Ordinal);
        Assert.DoesNotContain(code, JsonSerializer.Serialize(listed), StringComparison.Ordinal);
        Assert.True(after.GetProperty("revoked").GetBoolean());
        Assert.Empty(browser.Manage().Logs.GetLog(LogType.Browser).Where(entry => entry.Level == OpenQA.Selenium.LogLevel.Severe).Select(entry => entry.Message));
    }

    private static async Task<JsonElement> CodesAsync(ProxyInstance proxy)
    {
        using var client = new HttpClient { BaseAddress = proxy.Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return JsonDocument.Parse(await client.GetStringAsync("/_wr/admin/rooms/default/codes")).RootElement.Clone();
    }
}
