using System.Drawing;
using System.Text.Json;
using OpenQA.Selenium;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Browser;

/// <summary>The dashboard's adaptive capacity (wwwroot/admin/admin.js): the pin control and the list of recent changes.</summary>
public sealed partial class DashboardBrowserTests
{
    [Fact]
    public async Task Dashboard_AdaptiveRoom_PinShowsWhoPinnedAndTheChangeThenUnpinHandsItBack()
    {
        // Arrange: an adaptive room between 2 and 10, no traffic (the controller leaves it at 2).
        await using var backend = await TestBackend.StartAsync();
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        settings["WR_MAX_ACTIVE"] = "10";
        settings["WR_ADAPTIVE"] = "on";
        settings["WR_MIN_ACTIVE"] = "2";
        settings["WR_RELEASE_INTERVAL"] = "0.5";
        settings["WR_ADMIN_TOKEN"] = AdminToken;
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var browser = StartChromium(new Size(1280, 1400));
        browser.Navigate().GoToUrl(new Uri(proxy.Address, "/_wr/admin/"));
        SignIn(browser, AdminToken);
        var before = WaitFor(browser, "the pin control of the adaptive room", b =>
            b.FindElement(By.CssSelector("[data-room='default'] form[data-control='pin']")).Displayed && Field(b, "capacity") == "2" ? Field(b, "pinned") : null);
        var changesBefore = browser.FindElements(By.CssSelector("[data-room='default'] [data-field='changes'] li[data-change]")).Count;

        // Act: pin at 6.
        var input = browser.FindElement(By.CssSelector("[data-room='default'] form[data-control='pin'] input"));
        input.Clear();
        input.SendKeys("6");
        browser.FindElement(By.CssSelector("[data-room='default'] form[data-control='pin'] button[type='submit']")).Click();

        // Assert: the capacity, who pinned it, and the change at the top of the list.
        WaitFor(browser, "capacity 6 pinned by the operator", b =>
            Field(b, "capacity") == "6" && Pinned(b) is ("6", "operator"));
        var pinnedText = Field(browser, "pinned");
        var pinChange = WaitFor(browser, "the pin in the list of changes", b => NewestChange(b) is { } li && li.GetDomAttribute("data-reason") == "operator" ? li : null)!;
        var pinChangeText = pinChange.Text;
        var pinChangeAttributes = (pinChange.GetDomAttribute("data-from"), pinChange.GetDomAttribute("data-to"), pinChange.GetDomAttribute("data-by"));
        var pinned = (await AdminRoomAsync(proxy, "default")).GetProperty("adaptive");

        // Act: unpin.
        browser.FindElement(By.CssSelector("[data-room='default'] form[data-control='pin'] button[data-action='unpin']")).Click();

        // Assert: the controller has it again, and the list says so.
        WaitFor(browser, "not pinned any more", b => Pinned(b) is ("", ""));
        var unpinChange = WaitFor(browser, "the unpin in the list of changes", b => NewestChange(b) is { } li && li.GetDomAttribute("data-reason") == "unpinned" ? li : null)!;
        var unpinChangeText = unpinChange.Text;
        var unpinned = (await AdminRoomAsync(proxy, "default")).GetProperty("adaptive");
        var listed = browser.FindElements(By.CssSelector("[data-room='default'] [data-field='changes'] li[data-change]")).Count;
        SaveScreenshot(browser, "dashboard-adaptive.png");

        Assert.StartsWith("Not pinned", before, StringComparison.Ordinal);
        Assert.Equal(0, changesBefore);
        Assert.Equal("Pinned at 6 by the operator.", pinnedText);
        Assert.Equal(("2", "6", "operator"), pinChangeAttributes);
        Assert.Contains("2 → 6", pinChangeText, StringComparison.Ordinal);
        Assert.Contains("by operator", pinChangeText, StringComparison.Ordinal);
        Assert.Equal((6, "operator"), (pinned.GetProperty("pinned").GetInt32(), pinned.GetProperty("pinnedBy").GetString()));
        Assert.Contains("6 → 6", unpinChangeText, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, unpinned.GetProperty("pinnedBy").ValueKind);
        Assert.Equal(2, listed);
        Assert.Equal(["unpinned", "operator"], unpinned.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("reason").GetString()));
        Assert.Empty(browser.Manage().Logs.GetLog(LogType.Browser).Where(entry => entry.Level == OpenQA.Selenium.LogLevel.Severe).Select(entry => entry.Message));
    }

    /// <summary>The pin control's state: the pinned value and who pinned it ("" and "" when not pinned).</summary>
    private static (string? Value, string? By) Pinned(IWebDriver browser)
    {
        var who = browser.FindElement(By.CssSelector("[data-room='default'] [data-field='pinned']"));
        return (who.GetDomAttribute("data-value"), who.GetDomAttribute("data-by"));
    }

    /// <summary>The newest entry of the room's list of capacity changes, or null while it is empty.</summary>
    private static IWebElement? NewestChange(IWebDriver browser) =>
        browser.FindElements(By.CssSelector("[data-room='default'] [data-field='changes'] li[data-change]")).FirstOrDefault();
}
