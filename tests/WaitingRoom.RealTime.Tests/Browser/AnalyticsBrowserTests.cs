using System.Drawing;
using System.Globalization;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using WaitingRoom.Analytics;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Browser;

/// <summary>
/// The dashboard's analytics (wwwroot/admin/analytics.js) in headless Chromium against the app on
/// Kestrel with a real redis-server: the charts draw the store's minutes, written there as another
/// instance would (the last hour of a sale) plus this instance's own live visitors.
/// </summary>
public sealed class AnalyticsBrowserTests
{
    private const string AdminToken = "analytics-test-token-0123456789";
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Dashboard_Analytics_ChartsDrawTheStoresMinutesFromAnotherInstance()
    {
        // Arrange: an hour of a sale as another instance flushed it, then the proxy under test with visitors of its own.
        var prefix = RedisServer.NewPrefix();
        await SeedHourAsync(prefix);
        await using var backend = await TestBackend.StartAsync();
        var settings = RedisServer.Shared.Settings(prefix);
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        settings["WR_MAX_ACTIVE"] = "40";
        settings["WR_ADMIN_TOKEN"] = AdminToken;
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var visitors = proxy.Anonymous();
        for (var i = 0; i < 3; i++)
        {
            await ProxyInstance.GetJsonAsync(visitors, "/echo", forwardedFor: $"10.9.1.{i + 1}");
        }

        using var browser = StartChromium(new Size(1280, 1500));

        // Act
        browser.Navigate().GoToUrl(new Uri(proxy.Address, "/_wr/admin/"));
        WaitFor(browser, "the sign-in form", b => b.FindElement(By.Id("signin")).Displayed);
        browser.FindElement(By.Id("token")).SendKeys(AdminToken);
        browser.FindElement(By.CssSelector("#signin button[type='submit']")).Click();

        // Assert: all three charts have the hour's minutes, each series one path.
        foreach (var (chart, series) in new[] { ("flow", "arrivals"), ("queue", "queued"), ("wait", "p90") })
        {
            WaitFor(browser, $"the {chart} chart with the seeded hour", b =>
                int.Parse(b.FindElement(By.CssSelector($"svg[data-analytics-chart='{chart}']")).GetDomAttribute("data-points") ?? "0", CultureInfo.InvariantCulture) >= 50 &&
                b.FindElements(By.CssSelector($"svg[data-analytics-chart='{chart}'] path[data-series='{series}']")).Count == 1);
        }

        Assert.Equal("default", ((IJavaScriptExecutor)browser).ExecuteScript("return document.getElementById('analytics-room').value;"));
        ((IJavaScriptExecutor)browser).ExecuteScript("document.getElementById('analytics').scrollIntoView();");
        SaveScreenshot(browser, "analytics.png");
        Assert.Empty(browser.Manage().Logs.GetLog(LogType.Browser).Where(entry => entry.Level == LogLevel.Severe).Select(entry => entry.Message));
    }

    /// <summary>The last 60 minutes of a sale: a wave of arrivals, the queue growing and draining, waits following it.</summary>
    private static async Task SeedHourAsync(string prefix)
    {
        var store = new RedisWaitingRoomStore(RedisServer.Shared.Connection, TimeProvider.System, prefix, RedisServer.PatientAvailability());
        var room = new RoomPolicy(RoomPolicy.DefaultName, 40, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(2));
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() / 60_000;
        var minutes = new List<AnalyticsMinute>();
        long queued = 0;
        for (var i = 60; i >= 1; i--)
        {
            var wave = Math.Exp(-Math.Pow((i - 38) / 9.0, 2));
            var arrivals = (long)(30 + 400 * wave);
            var admitted = Math.Min(arrivals + queued, 90);
            var abandoned = (long)(queued * 0.03);
            queued = Math.Max(0, queued + arrivals - admitted - abandoned);
            var minute = new AnalyticsMinute(now - i) { Arrivals = arrivals, Admitted = admitted, Abandoned = abandoned, Queued = queued, Active = 40, Capacity = 40 };
            var wait = Math.Max(1, queued * 60_000 / 90);
            minute.TimeInQueue[DurationBuckets.IndexOf(wait / 2)] += admitted / 2;
            minute.TimeInQueue[DurationBuckets.IndexOf(wait)] += admitted - admitted / 2 - admitted / 20;
            minute.TimeInQueue[DurationBuckets.IndexOf(wait * 2)] += admitted / 20;
            minute.TimeOnSite[DurationBuckets.IndexOf(240_000)] += admitted;
            minutes.Add(minute);
        }

        Assert.True(await store.AddAnalyticsAsync(room, new AnalyticsBatch("seed", 1, minutes), default));
    }

    private static T WaitFor<T>(ChromeDriver browser, string what, Func<IWebDriver, T> condition)
    {
        var wait = new WebDriverWait(browser, s_limit) { PollingInterval = TimeSpan.FromMilliseconds(100), Message = $"waited {s_limit} for {what}" };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        try
        {
            return wait.Until(condition);
        }
        catch (WebDriverTimeoutException)
        {
            Assert.Fail($"waited {s_limit} for {what}; the page shows:\n{browser.FindElements(By.Id("dashboard")).FirstOrDefault()?.Text}");
            throw;
        }
    }

    private static ChromeDriver StartChromium(Size window)
    {
        const string chromium = "/usr/bin/chromium";
        const string chromedriver = "/usr/bin/chromedriver";
        Assert.True(File.Exists(chromium) && File.Exists(chromedriver), "Debian's chromium and chromium-driver are needed: run scripts/test.sh, which installs them.");
        var options = new ChromeOptions { BinaryLocation = chromium };
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--window-size={window.Width},{window.Height}",
            "--lang=en-US", $"--user-data-dir={Directory.CreateTempSubdirectory("wr-chromium-").FullName}");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(chromedriver)!, Path.GetFileName(chromedriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    /// <summary>Saves the window as artifacts/screenshots/{name}; with WR_UPDATE_DOCS=1 also as docs/{name}, the picture in the README.</summary>
    private static void SaveScreenshot(ChromeDriver browser, string name)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root.Parent is not null && !File.Exists(Path.Combine(root.FullName, "WaitingRoom.sln")))
        {
            root = root.Parent;
        }

        var folder = Directory.CreateDirectory(Path.Combine(root.FullName, "artifacts", "screenshots"));
        var path = Path.Combine(folder.FullName, name);
        browser.GetScreenshot().SaveAsFile(path);
        if (Environment.GetEnvironmentVariable("WR_UPDATE_DOCS") == "1")
        {
            File.Copy(path, Path.Combine(root.FullName, "docs", name), overwrite: true);
        }
    }
}
