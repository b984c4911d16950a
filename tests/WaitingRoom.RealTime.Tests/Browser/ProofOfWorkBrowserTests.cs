using System.Diagnostics;
using System.Text.RegularExpressions;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using WaitingRoom.Tests.Infrastructure;
using WaitingRoom.Tests.ProofOfWork;
using Xunit;

namespace WaitingRoom.Tests.Browser;

/// <summary>
/// WR_POW in a real browser: the queue page's own script solves the challenge in a Web Worker, shows
/// its progress, sends the solution and goes on as any visitor (on the site, or waiting). Headless
/// Chromium against Kestrel, a real redis-server and the test backend; nobody clicks anything.
/// </summary>
public sealed partial class ProofOfWorkBrowserTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(90);

    private static Dictionary<string, string?> Settings(TestBackend backend, int bits)
    {
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        settings["WR_POW"] = "on";
        settings["WR_POW_DIFFICULTY"] = bits.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }

    [Fact]
    public async Task Challenge_FreeRoom_PageSolvesShowsProgressAndLandsOnTheUrl()
    {
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await ProxyInstance.StartAsync(Settings(backend, 18));

        // /slow answers after 3 s: the page waits on its solution's request, so what it shows then can be read.
        using var browser = QueuePageBrowserTests.StartChromium();
        var target = new Uri(proxy.Address, "/slow?ms=3000");
        browser.Navigate().GoToUrl(target);

        var states = new List<string>();
        var progress = new List<int>();
        string? statusWhileSending = null;
        var screenshot = "";
        var clock = Stopwatch.StartNew();
        while (!Body(browser).Contains("slow", StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < s_limit, $"not on the site after {s_limit}; page states seen: {string.Join(", ", states)}");
            var (state, valueNow, status) = PowState(browser);
            if (state is not null && (states.Count == 0 || states[^1] != state))
            {
                states.Add(state);
            }

            if (valueNow is { } value)
            {
                progress.Add(value);
            }

            if (state == "sending" && statusWhileSending is null)
            {
                statusWhileSending = status;
                screenshot = QueuePageBrowserTests.SaveScreenshot(browser, "queue-page-pow.png");
            }

            await Task.Delay(50);
        }

        Assert.Contains("sending", states);
        Assert.Equal(100, progress.Max());
        Assert.Matches(Done(), statusWhileSending ?? "");
        Assert.Equal(target.ToString(), browser.Url);
        Assert.True(File.Exists(screenshot), "no screenshot was saved");
    }

    [Fact]
    public async Task Challenge_FullRoom_PageSolvesThenWaitsInLineThenLandsByItself()
    {
        await using var backend = await TestBackend.StartAsync();
        var settings = Settings(backend, 16);
        settings["WR_MAX_ACTIVE"] = "1";
        settings["WR_ACTIVE_TTL"] = "2";
        settings["WR_RELEASE_INTERVAL"] = "0.5";
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();

        // The holder solves in C#, takes the only slot and keeps it until told to leave.
        var challenge = await ProxyInstance.GetJsonAsync(client, "/echo");
        var holder = challenge.Token!;
        var proof = Proof.Solve(challenge.Json!.Value.GetProperty("challenge").GetString()!, 16);
        using var admitted = new HttpRequestMessage(HttpMethod.Get, "/echo");
        admitted.Headers.Add("Cookie", "wr_token=" + holder);
        admitted.Headers.Add("WR-PoW", proof);
        Assert.Contains("\"method\"", await (await client.SendAsync(admitted)).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var holderLeaves = new CancellationTokenSource();
        var holding = KeepActiveAsync(client, holder, holderLeaves.Token);

        using var browser = QueuePageBrowserTests.StartChromium();
        var target = new Uri(proxy.Address, "/landing?from=pow");
        browser.Navigate().GoToUrl(target);

        string? position = null;
        var clock = Stopwatch.StartNew();
        while (position is null)
        {
            Assert.True(clock.Elapsed < s_limit, $"never shown a place in line within {s_limit}");
            var challengeState = Attribute(browser, "data-challenge");
            var shown = QueuePageBrowserTests.TryText(browser, "wr-position");
            if (challengeState == "" && !string.IsNullOrEmpty(shown))
            {
                position = shown;
            }

            await Task.Delay(100);
        }

        var screenshot = QueuePageBrowserTests.SaveScreenshot(browser, "queue-page-after-pow.png");
        await holderLeaves.CancelAsync();
        await holding;
        while (!browser.Url.Equals(target.ToString(), StringComparison.Ordinal) || browser.PageSource.Contains("wr-position", StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < s_limit, $"still queued after {s_limit}");
            await Task.Delay(100);
        }

        Assert.Equal("1", position);
        Assert.Contains("backend:/landing", Body(browser), StringComparison.Ordinal);
        Assert.True(File.Exists(screenshot), "no screenshot was saved");
    }

    [GeneratedRegex("^Done")]
    private static partial Regex Done();

    private static string Body(ChromeDriver browser)
    {
        try
        {
            return browser.FindElement(By.TagName("body")).Text;
        }
        catch (WebDriverException)
        {
            return ""; // navigating
        }
    }

    private static string? Attribute(ChromeDriver browser, string name)
    {
        try
        {
            return browser.FindElements(By.Id("wr")).FirstOrDefault()?.GetAttribute(name);
        }
        catch (WebDriverException)
        {
            return null;
        }
    }

    /// <summary>The page's proof-of-work state (data-pow), its progress bar's value and its status line.</summary>
    private static (string? State, int? ValueNow, string? Status) PowState(ChromeDriver browser)
    {
        try
        {
            var state = Attribute(browser, "data-pow");
            var bar = browser.FindElements(By.Id("wr-pow-progress")).FirstOrDefault();
            var value = bar is not null && int.TryParse(bar.GetAttribute("aria-valuenow"), out var v) ? v : (int?)null;
            return (state, state is null ? null : value, QueuePageBrowserTests.TryText(browser, "wr-pow-status"));
        }
        catch (WebDriverException)
        {
            return (null, null, null);
        }
    }

    private static async Task KeepActiveAsync(HttpClient client, string token, CancellationToken leave)
    {
        while (!leave.IsCancellationRequested)
        {
            await ProxyInstance.GetJsonAsync(client, "/echo", token);
            await Task.Delay(300, CancellationToken.None);
        }
    }
}
