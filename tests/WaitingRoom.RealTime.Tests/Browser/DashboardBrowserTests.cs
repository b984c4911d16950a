using System.Drawing;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Browser;

/// <summary>
/// The operator dashboard (/_wr/admin/) in a real browser: headless Chromium (Debian's chromium +
/// chromedriver) against the app on Kestrel with a real redis-server, a real backend and visitors
/// made with real HTTP. The page's hooks are listed at the top of wwwroot/admin/admin.js.
/// </summary>
public sealed partial class DashboardBrowserTests
{
    private const string AdminToken = "dashboard-test-token-0123456789";
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Dashboard_FiveVisitorsAtCapacityTwo_ShowsLiveNumbersAndAppliesANewCapacity()
    {
        // Arrange: capacity 2, five visitors: two get in, three wait. They keep polling like browsers do.
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await StartProxyAsync(backend);
        using var visitors = proxy.Anonymous();
        var active = new List<string>();
        var queued = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var answer = await ProxyInstance.GetJsonAsync(visitors, "/echo", forwardedFor: $"10.9.0.{i + 1}");
            (answer.Json?.TryGetProperty("method", out _) == true ? active : queued).Add(answer.Token!);
        }

        Assert.Equal((2, 3), (active.Count, queued.Count));
        using var stop = new CancellationTokenSource();
        var polling = KeepPollingAsync(visitors, active, queued, stop.Token);
        using var browser = StartChromium(new Size(1280, 1300));

        try
        {
            // Act: open the dashboard and sign in with the token.
            browser.Navigate().GoToUrl(new Uri(proxy.Address, "/_wr/admin/"));
            SignIn(browser, AdminToken);

            // Assert: the room's live numbers, the backend and the chart.
            WaitFor(browser, "active 2, capacity 2, queued 3", b =>
                Field(b, "active") == "2" && Field(b, "capacity") == "2" && Field(b, "queued") == "3");
            var address = backend.Address.ToString().TrimEnd('/');
            var health = WaitFor(browser, "the backend's row in #backends", b =>
                b.FindElements(By.CssSelector("#backends tbody tr[data-backend]"))
                    .Where(row => row.FindElement(By.CssSelector("[data-field='address']")).Text.TrimEnd('/') == address)
                    .Select(row => row.FindElement(By.CssSelector("[data-field='health']")).GetDomAttribute("data-value"))
                    .FirstOrDefault());
            Assert.Contains(health, new[] { "healthy", "unknown" });
            WaitFor(browser, "a history point in the chart (the store's minute, flushed every 10 s)", b =>
                int.Parse(b.FindElement(By.CssSelector("svg[data-chart='default']")).GetDomAttribute("data-points") ?? "0", CultureInfo.InvariantCulture) >= 1 &&
                b.FindElements(By.CssSelector("svg[data-chart='default'] path[data-series='queued']")).Count == 1);
            var screenshot = SaveScreenshot(browser, "dashboard.png");

            // Act: raise the capacity to 4 with the capacity control.
            var capacity = browser.FindElement(By.CssSelector("[data-room='default'] form[data-control='capacity'] input"));
            capacity.Clear();
            capacity.SendKeys("4");
            browser.FindElement(By.CssSelector("[data-room='default'] form[data-control='capacity'] button[type='submit']")).Click();

            // Assert: the card shows the new capacity, the next promotion round lets two more in, and the API agrees.
            WaitFor(browser, "capacity 4", b => Field(b, "capacity") == "4");
            WaitFor(browser, "queued 1 after a promotion round", b => Field(b, "queued") == "1");
            Assert.Equal(4, (await AdminRoomAsync(proxy, "default")).GetProperty("maxActive").GetInt32());
            Assert.True(File.Exists(screenshot), "no screenshot was saved");

            // ...and the page broke no rule of its Content-Security-Policy and threw no error on the way.
            Assert.Empty(browser.Manage().Logs.GetLog(LogType.Browser).Where(entry => entry.Level == LogLevel.Severe).Select(entry => entry.Message));
        }
        finally
        {
            await stop.CancelAsync();
            await polling;
        }
    }

    [Fact]
    public async Task Dashboard_SignOutThenWrongToken_ShowsTheSignInFormAgain()
    {
        // Arrange: signed in with the right token.
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await StartProxyAsync(backend);
        using var browser = StartChromium(new Size(1280, 900));
        browser.Navigate().GoToUrl(new Uri(proxy.Address, "/_wr/admin/"));
        SignIn(browser, AdminToken);
        WaitFor(browser, "the default room's card", b => Field(b, "capacity") == "2");

        // Act: sign out, then sign in with a wrong token.
        browser.FindElement(By.Id("signout")).Click();
        SignIn(browser, "wrong-token-0123456789-wrong-token");

        // Assert: the form is back with a neutral message, no room data is left on the page and the token is forgotten.
        var message = WaitFor(browser, "the sign-in form with a message", b =>
            b.FindElement(By.Id("signin")).Displayed && b.FindElement(By.Id("signin-message")).Text.Contains("not accepted", StringComparison.Ordinal)
                ? b.FindElement(By.Id("signin-message")).Text
                : null);
        Assert.Equal("The admin token was not accepted. Sign in again.", message);
        Assert.False(browser.FindElement(By.Id("dashboard")).Displayed);
        Assert.Empty(browser.FindElements(By.CssSelector("[data-room]")));
        Assert.Null(((IJavaScriptExecutor)browser).ExecuteScript("return sessionStorage.getItem('wr-admin-token');"));
    }

    private static Task<ProxyInstance> StartProxyAsync(TestBackend backend)
    {
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        settings["WR_MAX_ACTIVE"] = "2";
        settings["WR_RELEASE_INTERVAL"] = "0.5";
        settings["WR_ADMIN_TOKEN"] = AdminToken;
        return ProxyInstance.StartAsync(settings);
    }

    /// <summary>Types <paramref name="token"/> into the sign-in form once it shows and submits it.</summary>
    private static void SignIn(ChromeDriver browser, string token)
    {
        WaitFor(browser, "the sign-in form", b => b.FindElement(By.Id("signin")).Displayed);
        var input = browser.FindElement(By.Id("token"));
        input.Clear();
        input.SendKeys(token);
        browser.FindElement(By.CssSelector("#signin button[type='submit']")).Click();
    }

    /// <summary>The text of <c>[data-room] [data-field]</c> on the dashboard.</summary>
    private static string Field(IWebDriver browser, string field, string room = "default") =>
        browser.FindElement(By.CssSelector($"[data-room='{room}'] [data-field='{field}']")).Text;

    /// <summary>Waits until <paramref name="condition"/> holds (true or non-null), polling every 100 ms; fails after the limit.</summary>
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
            var page = browser.FindElements(By.Id("dashboard")).FirstOrDefault()?.Text ?? browser.PageSource;
            Assert.Fail($"waited {s_limit} for {what}; the page shows:\n{page}");
            throw;
        }
    }

    /// <summary>GET /_wr/admin/rooms with the token; the room called <paramref name="name"/>.</summary>
    private static async Task<JsonElement> AdminRoomAsync(ProxyInstance proxy, string name)
    {
        using var admin = new HttpClient { BaseAddress = proxy.Address };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var response = await admin.GetAsync(new Uri("/_wr/admin/rooms", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        using var rooms = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return rooms.RootElement.EnumerateArray().Single(room => room.GetProperty("name").GetString() == name).Clone();
    }

    /// <summary>Active visitors keep using the site and queued ones keep polling, so nobody times out during the test.</summary>
    private static async Task KeepPollingAsync(HttpClient client, List<string> active, List<string> queued, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(1000, stop);
                foreach (var token in active)
                {
                    await ProxyInstance.GetJsonAsync(client, "/echo", token);
                }

                foreach (var token in queued)
                {
                    await ProxyInstance.GetJsonAsync(client, "/_wr/status", token);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The test is over.
        }
    }

    /// <summary>Headless Chromium with a window of <paramref name="window"/> (the page gets about 140 px less height).</summary>
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

    /// <summary>
    /// Saves the window as artifacts/screenshots/{name}; with WR_UPDATE_DOCS=1 also as docs/{name},
    /// the picture in the README.
    /// </summary>
    private static string SaveScreenshot(ChromeDriver browser, string name)
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

        return path;
    }
}
