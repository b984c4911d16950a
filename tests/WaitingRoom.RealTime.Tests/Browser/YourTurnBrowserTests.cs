using System.Diagnostics;
using System.Globalization;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using WaitingRoom.Admission;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Browser;

/// <summary>
/// The queue page's "your turn" alert and its right-to-left layout in headless Chromium, against the
/// app on Kestrel with a real redis-server and a real backend. The browser's Notification and
/// AudioContext are replaced in the page (before its script runs) by recorders, and the tab's
/// visibility is played by overriding document.hidden: headless Chromium has no background tab.
/// </summary>
public sealed class YourTurnBrowserTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);

    /// <summary>Recorders installed in every document before its scripts; <c>__wrHide(bool)</c> plays the tab going to the background and back.</summary>
    private const string Recorders = """
        (function () {
          window.__wr = { notes: [], tones: 0, asks: 0 };
          function FakeNotification(title, options) {
            window.__wr.notes.push({ title: title, body: options && options.body, tag: options && options.tag });
            this.close = function () {};
          }
          FakeNotification.permission = 'default';
          FakeNotification.requestPermission = function (done) {
            window.__wr.asks++;
            FakeNotification.permission = 'granted';
            if (done) done('granted');
            return Promise.resolve('granted');
          };
          if (!window.__wrNoNotification) Object.defineProperty(window, 'Notification', { configurable: true, writable: true, value: FakeNotification });
          else delete window.Notification;
          function FakeAudio() { this.state = 'running'; this.currentTime = 0; this.destination = {}; }
          FakeAudio.prototype.createOscillator = function () {
            return { type: '', frequency: { value: 0 }, connect: function () {}, start: function () { window.__wr.tones++; }, stop: function () {} };
          };
          FakeAudio.prototype.createGain = function () {
            return { gain: { setValueAtTime: function () {}, exponentialRampToValueAtTime: function () {} }, connect: function () {} };
          };
          window.AudioContext = FakeAudio;
          window.webkitAudioContext = undefined;
          window.__wrHide = function (hidden) {
            Object.defineProperty(document, 'hidden', { configurable: true, get: function () { return hidden; } });
            Object.defineProperty(document, 'visibilityState', { configurable: true, get: function () { return hidden ? 'hidden' : 'visible'; } });
            document.dispatchEvent(new Event('visibilitychange'));
          };
        })();
        """;

    [Fact]
    public async Task QueuePage_AdmittedWhileHiddenWithSoundAndNotificationsOn_TitleChimeAndNotificationThenLandsWhenShown()
    {
        // Arrange: a holder keeps the one slot; the browser waits first in line and turns both alerts on.
        await using var room = await HeldRoom.StartAsync();
        using var browser = QueuePageBrowserTests.StartChromium();
        Record(browser, notificationMissing: false);
        browser.Navigate().GoToUrl(room.Target);
        await UntilAsync(() => QueuePageBrowserTests.TryText(browser, "wr-position") == "1", "the browser never got place 1");
        var asksOnLoad = Script<long>(browser, "return window.__wr.asks;");
        browser.FindElement(By.Id("wr-sound")).Click();
        browser.FindElement(By.Id("wr-notify")).Click();
        var english = VisitorText.English;
        await UntilAsync(() => QueuePageBrowserTests.TryText(browser, "wr-alert-status") == english["notifyOn"], "the opt-in never said notifications are on");
        var tonesBefore = Script<long>(browser, "return window.__wr.tones;");
        var pressed = (browser.FindElement(By.Id("wr-sound")).GetAttribute("aria-pressed"), browser.FindElement(By.Id("wr-notify")).GetAttribute("aria-pressed"));

        // Act: the tab goes to the background, then the holder leaves and the browser is released.
        Script<object>(browser, "window.__wrHide(true); return null;");
        await room.HolderLeavesAsync();
        await UntilAsync(() => Script<string>(browser, "return document.title;") == english.YourTurnTitle, "the title never said it is the visitor's turn");
        var notes = Script<IReadOnlyCollection<object>>(browser, "return window.__wr.notes.map(function (n) { return n.title + '|' + n.body + '|' + n.tag; });");
        var tonesAfter = Script<long>(browser, "return window.__wr.tones;");
        var turnShown = browser.FindElement(By.Id("wr-turn")).Displayed;
        var heldAt = browser.Url;
        var screenshot = QueuePageBrowserTests.SaveScreenshot(browser, "queue-page-your-turn.png");
        Script<object>(browser, "window.__wrHide(false); return null;");
        await UntilAsync(() => Landed(browser), "the page did not move on when shown again");

        // Assert
        Assert.Equal(0, asksOnLoad);
        Assert.Equal(("true", "true"), pressed);
        Assert.True(tonesBefore >= 1, "turning sound on played no tone");
        Assert.Equal($"{english.YourTurnTitle}|{english["yourTurnBody"]}|wr-turn", Assert.Single(notes));
        Assert.True(tonesAfter > tonesBefore, "no chime on admission");
        Assert.True(turnShown, "the held page does not say it is the visitor's turn");
        Assert.Equal(room.Target.ToString(), heldAt);
        Assert.True(File.Exists(screenshot), "no screenshot was saved");
    }

    [Fact]
    public async Task QueuePage_NoNotificationApiAndSoundOff_NoOptInYetTheTitleChangesAndItLands()
    {
        // Arrange
        await using var room = await HeldRoom.StartAsync();
        using var browser = QueuePageBrowserTests.StartChromium();
        Record(browser, notificationMissing: true);
        browser.Navigate().GoToUrl(room.Target);
        await UntilAsync(() => QueuePageBrowserTests.TryText(browser, "wr-position") == "1", "the browser never got place 1");
        var shown = (browser.FindElement(By.Id("wr-sound")).Displayed, browser.FindElement(By.Id("wr-notify")).Displayed);

        // Act
        Script<object>(browser, "window.__wrHide(true); return null;");
        await room.HolderLeavesAsync();
        await UntilAsync(() => Script<string>(browser, "return document.title;") == VisitorText.English.YourTurnTitle, "the title never changed");
        var tones = Script<long>(browser, "return window.__wr.tones;");
        Script<object>(browser, "window.__wrHide(false); return null;");
        await UntilAsync(() => Landed(browser), "the page did not move on when shown again");

        // Assert
        Assert.Equal((true, false), shown);
        Assert.Equal(0, tones);
    }

    [Fact]
    public async Task QueuePage_ArabicBrowser_RightToLeftLayoutMirrored()
    {
        // Arrange: a pre-queue in arrival order (its note has a side border), two visitors ahead.
        await using var backend = await TestBackend.StartAsync();
        var now = DateTimeOffset.UtcNow;
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        settings["WR_EVENT_PREQUEUE_START"] = Iso(now.AddMinutes(-5));
        settings["WR_EVENT_START"] = Iso(now.AddHours(1));
        settings["WR_EVENT_END"] = Iso(now.AddHours(2));
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();
        await ProxyInstance.GetJsonAsync(client, "/landing");
        await ProxyInstance.GetJsonAsync(client, "/landing");
        using var browser = QueuePageBrowserTests.StartChromium("ar");
        var arabic = VisitorText.Of("ar");

        // Act
        browser.Navigate().GoToUrl(new Uri(proxy.Address, "/landing"));
        await UntilAsync(() => QueuePageBrowserTests.TryText(browser, "wr-position") == "3", "the browser never got place 3");
        var layout = Script<string>(browser, """
            var main = document.getElementById('wr'), note = document.querySelector('.mode-note'), dts = document.querySelectorAll('.facts dt');
            var first = dts[0].getBoundingClientRect(), last = dts[dts.length - 1].getBoundingClientRect();
            return [document.documentElement.lang, document.documentElement.dir, getComputedStyle(main).direction,
              getComputedStyle(note).borderRightWidth, getComputedStyle(note).borderLeftWidth, getComputedStyle(note).textAlign,
              first.left > last.left].join('|');
            """);
        var heading = browser.FindElement(By.TagName("h1")).Text;
        var label = browser.FindElement(By.ClassName("pos-label")).Text;
        var screenshot = QueuePageBrowserTests.SaveScreenshot(browser, "queue-page-ar.png");

        // Assert: the side border and the first fact are on the right, the text starts there.
        Assert.Equal("ar|rtl|rtl|4px|1px|start|true", layout);
        Assert.Equal(arabic.QueueTitle, heading);
        Assert.Equal(arabic["placeLabel"], label);
        Assert.True(File.Exists(screenshot), "no screenshot was saved");
    }

    private static void Record(ChromeDriver browser, bool notificationMissing) =>
        browser.ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?>
        {
            ["source"] = (notificationMissing ? "window.__wrNoNotification = true;\n" : "") + Recorders,
        });

    private static T Script<T>(ChromeDriver browser, string script) => (T)((IJavaScriptExecutor)browser).ExecuteScript(script)!;

    private static bool Landed(ChromeDriver browser)
    {
        try
        {
            return browser.FindElement(By.TagName("body")).Text.Contains("backend:/landing", StringComparison.Ordinal);
        }
        catch (WebDriverException)
        {
            return false;
        }
    }

    private static async Task UntilAsync(Func<bool> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            bool met;
            try
            {
                met = condition();
            }
            catch (WebDriverException)
            {
                met = false; // the page is navigating
            }

            if (met)
            {
                return;
            }

            Assert.True(clock.Elapsed < s_limit, $"{failure} within {s_limit}");
            await Task.Delay(100);
        }
    }

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>A room of one slot kept by a holder that polls until told to leave; the browser is the first waiter.</summary>
    private sealed class HeldRoom : IAsyncDisposable
    {
        private readonly TestBackend _backend;
        private readonly ProxyInstance _proxy;
        private readonly HttpClient _client;
        private readonly CancellationTokenSource _leave = new();
        private readonly Task _holding;

        private HeldRoom(TestBackend backend, ProxyInstance proxy, HttpClient client, string holder)
        {
            _backend = backend;
            _proxy = proxy;
            _client = client;
            _holding = HoldAsync(holder);
        }

        public Uri Target => new(_proxy.Address, "/landing?from=alert");

        public static async Task<HeldRoom> StartAsync()
        {
            var backend = await TestBackend.StartAsync();
            var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
            settings["WR_BACKEND_URL"] = backend.Address.ToString();
            settings["WR_MAX_ACTIVE"] = "1";
            settings["WR_ACTIVE_TTL"] = "2";
            settings["WR_RELEASE_INTERVAL"] = "0.5";
            var proxy = await ProxyInstance.StartAsync(settings);
            var client = proxy.Anonymous();
            var holder = (await ProxyInstance.GetJsonAsync(client, "/echo")).Token!;
            return new HeldRoom(backend, proxy, client, holder);
        }

        public async Task HolderLeavesAsync()
        {
            await _leave.CancelAsync();
            await _holding;
        }

        public async ValueTask DisposeAsync()
        {
            await HolderLeavesAsync();
            _leave.Dispose();
            _client.Dispose();
            await _proxy.DisposeAsync();
            await _backend.DisposeAsync();
        }

        private async Task HoldAsync(string holder)
        {
            while (!_leave.IsCancellationRequested)
            {
                await ProxyInstance.GetJsonAsync(_client, "/echo", holder);
                await Task.Delay(300, CancellationToken.None);
            }
        }
    }
}
