using System.Diagnostics;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Browser;

/// <summary>
/// The queue page in a real browser: headless Chromium (Debian's chromium + chromedriver) against
/// the app on Kestrel with a real redis-server and a real backend. Nobody clicks anything.
/// </summary>
public sealed class QueuePageBrowserTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task QueuePage_VisitorAtPosition2_Sees2Then1ThenLandsOnRequestedUrlByItself()
    {
        await using var backend = await TestBackend.StartAsync();
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        settings["WR_MAX_ACTIVE"] = "1";
        settings["WR_ACTIVE_TTL"] = "2";
        settings["WR_RELEASE_INTERVAL"] = "0.5";
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();
        using var stop = new CancellationTokenSource(s_limit);

        // The holder keeps its slot until told to leave; the first waiter polls and claims its slot once released, then leaves.
        var holder = (await ProxyInstance.GetJsonAsync(client, "/echo")).Token!;
        var first = (await ProxyInstance.GetJsonAsync(client, "/echo")).Token!;
        using var holderLeaves = new CancellationTokenSource();
        var holding = KeepActiveAsync(client, holder, holderLeaves.Token);
        var firstWaiting = WaitThenClaimAsync(client, first, stop.Token);

        using var browser = StartChromium();
        var target = new Uri(proxy.Address, "/landing?from=browser");
        browser.Navigate().GoToUrl(target);

        var seen = new List<string>();
        var screenshot = "";
        var clock = Stopwatch.StartNew();
        while (!browser.Url.Equals(target.ToString(), StringComparison.Ordinal) || browser.PageSource.Contains("wr-position", StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < s_limit, $"still queued after {s_limit}; positions seen: {string.Join(", ", seen)}");
            var position = TryText(browser, "wr-position");
            if (position is not null && (seen.Count == 0 || seen[^1] != position))
            {
                seen.Add(position);
                if (position == "2")
                {
                    screenshot = SaveScreenshot(browser);
                    await holderLeaves.CancelAsync();
                }
            }

            await Task.Delay(100);
        }

        await holding;
        await firstWaiting;
        Assert.Equal(["2", "1"], seen);
        Assert.Equal(target.ToString(), browser.Url);
        Assert.Contains("backend:/landing", browser.FindElement(By.TagName("body")).Text, StringComparison.Ordinal);
        Assert.True(File.Exists(screenshot), "no screenshot was saved");
    }

    [Fact]
    public async Task QueuePage_ShuffledPrequeue_ShowsTheOpeningWithoutAPlaceThenLandsAfterTheStart()
    {
        await using var backend = await TestBackend.StartAsync();
        var now = DateTimeOffset.UtcNow;
        var start = DateTimeOffset.Parse(Iso(now.AddSeconds(8)), System.Globalization.CultureInfo.InvariantCulture);
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        settings["WR_RELEASE_INTERVAL"] = "0.5";
        settings["WR_EVENT_PREQUEUE_START"] = Iso(now.AddMinutes(-5));
        settings["WR_EVENT_START"] = Iso(start);
        settings["WR_EVENT_END"] = Iso(now.AddHours(1));
        settings["WR_EVENT_SHUFFLE"] = "true";
        settings["WR_EVENT_TITLE"] = "Winter drop";
        settings["WR_EVENT_MESSAGE"] = "One order per customer.";
        await using var proxy = await ProxyInstance.StartAsync(settings);

        using var browser = StartChromium();
        var target = new Uri(proxy.Address, "/landing?from=prequeue");
        browser.Navigate().GoToUrl(target);

        var title = browser.FindElement(By.TagName("h1")).Text;
        var message = browser.FindElement(By.ClassName("message"));
        var note = browser.FindElement(By.ClassName("mode-note"));
        var opening = browser.FindElement(By.Id("wr-event-start"));
        var place = browser.FindElement(By.Id("wr-position"));
        var beforeStart = (message.Displayed, message.Text, note.Displayed, opening.Displayed, place.Displayed);
        var noteText = note.Text;
        var screenshot = SaveScreenshot(browser, "queue-page-prequeue.png");

        var clock = Stopwatch.StartNew();
        while (!browser.Url.Equals(target.ToString(), StringComparison.Ordinal) || browser.PageSource.Contains("wr-position", StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < s_limit, $"still waiting {s_limit} after the pre-queue page loaded");
            await Task.Delay(100);
        }

        Assert.Equal("Winter drop", title);
        Assert.Equal((true, "One order per customer.", true, true, false), beforeStart);
        Assert.Contains("random place", noteText, StringComparison.Ordinal);
        Assert.True(DateTimeOffset.UtcNow >= start, "the visitor got in before the event started");
        Assert.Contains("backend:/landing", browser.FindElement(By.TagName("body")).Text, StringComparison.Ordinal);
        Assert.True(File.Exists(screenshot), "no screenshot was saved");
    }

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Headless Chromium whose Accept-Language (and UI language) is <paramref name="language"/>.</summary>
    internal static ChromeDriver StartChromium(string language = "en-US")
    {
        const string chromium = "/usr/bin/chromium";
        const string chromedriver = "/usr/bin/chromedriver";
        Assert.True(File.Exists(chromium) && File.Exists(chromedriver), "Debian's chromium and chromium-driver are needed: run scripts/test.sh, which installs them.");
        var options = new ChromeOptions { BinaryLocation = chromium };
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1000,900",
            $"--lang={language}", $"--user-data-dir={Directory.CreateTempSubdirectory("wr-chromium-").FullName}");
        options.AddUserProfilePreference("intl.accept_languages", language);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(chromedriver)!, Path.GetFileName(chromedriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    internal static string? TryText(ChromeDriver browser, string id)
    {
        try
        {
            return browser.FindElements(By.Id(id)).FirstOrDefault()?.Text;
        }
        catch (WebDriverException)
        {
            // The page is navigating away.
            return null;
        }
    }

    /// <summary>Saves the page as artifacts/screenshots/{name} (copied to docs/ for the README).</summary>
    internal static string SaveScreenshot(ChromeDriver browser, string name = "queue-page.png")
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root.Parent is not null && !File.Exists(Path.Combine(root.FullName, "WaitingRoom.sln")))
        {
            root = root.Parent;
        }

        var folder = Directory.CreateDirectory(Path.Combine(root.FullName, "artifacts", "screenshots"));
        var path = Path.Combine(folder.FullName, name);
        browser.GetScreenshot().SaveAsFile(path);
        return path;
    }

    private static async Task KeepActiveAsync(HttpClient client, string token, CancellationToken leave)
    {
        while (!leave.IsCancellationRequested)
        {
            await ProxyInstance.GetJsonAsync(client, "/echo", token);
            await Task.Delay(300, CancellationToken.None);
        }
    }

    private static async Task WaitThenClaimAsync(HttpClient client, string token, CancellationToken stop)
    {
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            var status = await ProxyInstance.GetJsonAsync(client, "/_wr/status", token);
            if (status.Json?.GetProperty("state").GetString() == "released")
            {
                await ProxyInstance.GetJsonAsync(client, "/echo", token);
                return;
            }

            await Task.Delay(200, stop);
        }
    }
}
