using System.Diagnostics;
using System.Text.Json;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// The queue over real time with short settings: promotion order, dropping waiters who stop
/// polling, and freeing the slots of released visitors who never come back.
/// </summary>
public sealed class QueueFlowTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task Promotion_SlotsFreeRepeatedly_VisitorsReleasedStrictlyByPosition()
    {
        await using var backend = await TestBackend.StartAsync();
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        settings["WR_MAX_ACTIVE"] = "2";
        settings["WR_ACTIVE_TTL"] = "0.6";
        settings["WR_RELEASE_INTERVAL"] = "0.2";
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();

        // Two take the slots and leave (their slots free after the active TTL); twelve queue.
        for (var i = 0; i < 2; i++)
        {
            Assert.True(Forwarded(await ProxyInstance.GetJsonAsync(client, "/echo")));
        }

        var waiters = new List<(string Token, long Position)>();
        for (var i = 0; i < 12; i++)
        {
            var answer = await ProxyInstance.GetJsonAsync(client, "/echo");
            waiters.Add((answer.Token!, answer.Json!.Value.GetProperty("position").GetInt64()));
        }

        Assert.Equal(Enumerable.Range(1, 12).Select(p => (long)p), waiters.Select(w => w.Position));

        // Everyone polls; a visitor seen released is recorded (with the poll round) and claims its slot once.
        var releasedRound = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        for (var round = 0; releasedRound.Count < waiters.Count; round++)
        {
            Assert.True(clock.Elapsed < s_limit, $"only {releasedRound.Count} of {waiters.Count} released in {s_limit}");
            foreach (var (token, _) in waiters.Where(w => !releasedRound.ContainsKey(w.Token)))
            {
                var status = await ProxyInstance.GetJsonAsync(client, "/_wr/status", token);
                var state = StateOf(status);
                Assert.NotEqual("unknown", state);
                if (state == "released")
                {
                    // FIFO: when a waiter is released, nobody who was ahead of it may still be queued
                    // (checked now, because a promotion round can run between two polls of one loop).
                    foreach (var (ahead, _) in waiters.TakeWhile(w => w.Token != token).Where(w => !releasedRound.ContainsKey(w.Token)))
                    {
                        var aheadState = StateOf(await ProxyInstance.GetJsonAsync(client, "/_wr/status", ahead));
                        Assert.True(aheadState is "released" or "active", $"a waiter ahead is still {aheadState} while a later one is released");
                    }

                    releasedRound[token] = round;
                    Assert.True(Forwarded(await ProxyInstance.GetJsonAsync(client, "/echo", token)));
                }
            }

            await Task.Delay(100);
        }

        // Every waiter got in, and none before someone who was ahead of it (checked as each was released).
        Assert.Equal(waiters.Count, releasedRound.Count);
        Assert.Equal(14, backend.Requests);
    }

    [Fact]
    public async Task Queue_WaiterStopsPolling_LosesPlaceWhileWaiterWhoPollsKeepsIt()
    {
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_MAX_ACTIVE"] = "1";
        settings["WR_QUEUE_TTL"] = "1.5";
        settings["WR_RELEASE_INTERVAL"] = "0.2";
        await using var backend = await TestBackend.StartAsync();
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();
        var holder = (await ProxyInstance.GetJsonAsync(client, "/")).Token!;
        var quitter = (await ProxyInstance.GetJsonAsync(client, "/")).Token!;
        var poller = (await ProxyInstance.GetJsonAsync(client, "/")).Token!;

        // The poller polls (and the holder stays active) well within the TTL, the quitter never polls again.
        var clock = Stopwatch.StartNew();
        string? quitterState;
        do
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "the quitter kept its place");
            await ProxyInstance.GetJsonAsync(client, "/", holder);
            var poll = await ProxyInstance.GetJsonAsync(client, "/_wr/status", poller);
            Assert.Equal("queued", StateOf(poll));
            await Task.Delay(300);
            quitterState = clock.Elapsed > TimeSpan.FromSeconds(2.25) ? StateOf(await ProxyInstance.GetJsonAsync(client, "/_wr/status", quitter)) : "queued";
        }
        while (quitterState != "unknown");

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.5));

        // The quitter's entry is swept by the next promotion round; the poller moves up to 1 and stays queued.
        var sweep = Stopwatch.StartNew();
        long position;
        do
        {
            Assert.True(sweep.Elapsed < TimeSpan.FromSeconds(5), "the quitter's place was never swept");
            await ProxyInstance.GetJsonAsync(client, "/", holder);
            var kept = await ProxyInstance.GetJsonAsync(client, "/_wr/status", poller);
            Assert.Equal("queued", StateOf(kept));
            position = kept.Json!.Value.GetProperty("position").GetInt64();
            await Task.Delay(100);
        }
        while (position != 1);
    }

    [Fact]
    public async Task Release_VisitorNeverComesBack_SlotFreesAfterAdmissionWindowForTheNext()
    {
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_MAX_ACTIVE"] = "1";
        settings["WR_ACTIVE_TTL"] = "0.5";
        settings["WR_ADMISSION_WINDOW"] = "2";
        settings["WR_RELEASE_INTERVAL"] = "0.2";
        await using var backend = await TestBackend.StartAsync();
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();
        await ProxyInstance.GetJsonAsync(client, "/");
        var noShow = (await ProxyInstance.GetJsonAsync(client, "/")).Token!;
        var next = (await ProxyInstance.GetJsonAsync(client, "/")).Token!;

        // The no-show polls until it is released, then never comes; the next keeps polling.
        var releasedAt = await WaitForStateAsync(client, [noShow, next], noShow, "released");
        var nextReleasedAt = await WaitForStateAsync(client, [next], next, "released");

        // The no-show is seen released up to one poll cycle after it was; without the window rule
        // the next visitor would follow one promotion interval (0.2 s) later, not 2 s.
        Assert.True(nextReleasedAt - releasedAt >= TimeSpan.FromSeconds(1.2), $"next released {nextReleasedAt - releasedAt} after the no-show");
        Assert.Equal("unknown", StateOf(await ProxyInstance.GetJsonAsync(client, "/_wr/status", noShow)));
        Assert.True(Forwarded(await ProxyInstance.GetJsonAsync(client, "/echo", next)));
    }

    private static async Task<TimeSpan> WaitForStateAsync(HttpClient client, string[] pollers, string watched, string wanted)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < s_limit)
        {
            foreach (var token in pollers)
            {
                var status = await ProxyInstance.GetJsonAsync(client, "/_wr/status", token);
                if (token == watched && StateOf(status) == wanted)
                {
                    return TimeSpan.FromTicks(Stopwatch.GetTimestamp() * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{watched[..6]} never became {wanted}");
    }

    /// <summary>True when the backend answered (its /echo JSON), i.e. the visitor was admitted and forwarded.</summary>
    private static bool Forwarded((System.Net.HttpStatusCode Status, JsonElement? Json, string? Token, string Body) answer) =>
        answer.Status == System.Net.HttpStatusCode.OK && answer.Json?.TryGetProperty("method", out _) == true;

    /// <summary>The room's state in a JSON answer; null for the backend's own answer (the visitor was forwarded).</summary>
    private static string? StateOf((System.Net.HttpStatusCode Status, JsonElement? Json, string? Token, string Body) answer) =>
        answer.Json?.TryGetProperty("state", out var state) == true ? state.GetString() : null;
}
