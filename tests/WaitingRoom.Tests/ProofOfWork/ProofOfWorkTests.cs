using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Operations;
using WaitingRoom.Queue;
using WaitingRoom.Tests.EndToEnd;
using Xunit;

namespace WaitingRoom.Tests.ProofOfWork;

/// <summary>
/// WR_POW end to end in JSON: real Kestrel, YARP, the test backend and redis-server; the test solves
/// the challenges itself (<see cref="Proof"/>). A refused solution must leave the store untouched.
/// </summary>
public sealed class ProofOfWorkTests
{
    private const int Bits = 8;

    private static Task<RoomUnderTest> StartAsync(string mode, int maxActive = 1, FakeTimeProvider? clock = null, int bits = Bits, Action<Dictionary<string, string?>>? configure = null) =>
        RoomUnderTest.StartAsync(maxActive, settings =>
        {
            settings["WR_POW"] = mode;
            settings["WR_POW_DIFFICULTY"] = bits.ToString(CultureInfo.InvariantCulture);
            configure?.Invoke(settings);
        }, clock);

    private static Dictionary<string, string> WithProof(string proof) => new() { ["WR-PoW"] = proof };

    private static void AssertChallenge(VisitAnswer answer, int difficulty)
    {
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("challenge", answer.State);
        Assert.Equal(difficulty, answer.Number("difficulty"));
        Assert.False(string.IsNullOrEmpty(answer.Text("challenge")));
        Assert.DoesNotContain('.', answer.Text("challenge")!);
        Assert.True(answer.Number("pollAfterSeconds") >= 1);
        Assert.InRange(answer.Number("expiresInSeconds"), 60, 120);
        Assert.NotNull(answer.Token);
    }

    private static async Task AssertNothingTakenAsync(RoomUnderTest room, long used = 0, long queued = 0)
    {
        Assert.Equal(used, await room.UsedAsync());
        Assert.Equal(queued, await room.CountAsync("queue"));
    }

    [Fact]
    public async Task On_NewcomersSolveInJson_AdmittedOrQueuedThenNeverAskedAgain()
    {
        await using var room = await StartAsync("on");

        var a = await room.GetAsync("/echo", forwardedFor: "198.51.100.1");
        AssertChallenge(a, Bits);
        await AssertNothingTakenAsync(room);
        var admitted = await room.GetAsync("/echo", a.Token, headers: WithProof(Proof.Solve(a.Text("challenge")!, Bits)));
        var again = await room.GetAsync("/echo", a.Token);

        var b = await room.GetAsync("/echo", forwardedFor: "198.51.100.2");
        AssertChallenge(b, Bits);
        var queued = await room.GetAsync("/echo", b.Token, headers: WithProof(Proof.Solve(b.Text("challenge")!, Bits)));
        var stillQueued = await room.GetAsync("/echo", b.Token);

        Assert.True(admitted.ReachedBackend, admitted.Body);
        Assert.True(again.ReachedBackend, again.Body);
        Assert.Equal(("queued", 1L), (queued.State, queued.Number("position")));
        Assert.Equal(("queued", 1L), (stillQueued.State, stillQueued.Number("position")));
        await AssertNothingTakenAsync(room, used: 1, queued: 1);
    }

    [Fact]
    public async Task On_WrongMalformedOrAnotherVisitorsSolution_FreshChallengeAndNoPlace()
    {
        // Virtual time: the window cannot turn over between two requests, so every answer carries the same challenge.
        await using var room = await StartAsync("on", clock: RoomUnderTest.NewClock());
        var a = await room.GetAsync("/echo", forwardedFor: "198.51.100.1");
        var b = await room.GetAsync("/echo", forwardedFor: "198.51.100.2");
        var challenge = a.Text("challenge")!;
        var solved = Proof.Solve(challenge, Bits);
        var parts = challenge.Split('-', 3);
        string[] refused =
        [
            Proof.Unsolved(challenge, Bits),                                           // wrong nonce
            Proof.Solve(b.Text("challenge")!, Bits),                                   // B's solution, with A's cookie
            Proof.Solve($"{parts[0]}-{Bits - 4}-{parts[2]}", Bits - 4),                // its difficulty lowered
            Proof.Solve($"{parts[0]}-{Bits + 1}-{parts[2]}", Bits + 1),                // its difficulty raised: the MAC no longer holds
            Proof.Solve($"{long.Parse(parts[0], CultureInfo.InvariantCulture) + 1}-{parts[1]}-{parts[2]}", Bits), // another window, precomputed
            challenge, "", "garbage", "1.2", challenge + ".", challenge + ".-1", challenge + ".12a", challenge + "." + new string('1', 21),
            challenge + ".0x1f", solved + ", " + solved, solved + "0000000000000000000000000000000000", "x." + solved,
        ];

        var answers = new List<VisitAnswer>();
        foreach (var proof in refused)
        {
            answers.Add(await room.GetAsync("/echo", a.Token, headers: WithProof(proof)));
        }

        Assert.All(answers, answer => AssertChallenge(answer, Bits));
        Assert.All(answers, answer => Assert.Equal(challenge, answer.Text("challenge")));
        await AssertNothingTakenAsync(room);
        Assert.True((await room.GetAsync("/echo", a.Token, headers: WithProof(solved))).ReachedBackend);
    }

    [Fact]
    public async Task On_SolutionInTheNextWindow_Accepted()
    {
        var clock = RoomUnderTest.NewClock();
        await using var room = await StartAsync("on", clock: clock);
        var a = await room.GetAsync("/echo");
        var proof = Proof.Solve(a.Text("challenge")!, Bits);

        clock.Advance(TimeSpan.FromSeconds(60));
        var admitted = await room.GetAsync("/echo", a.Token, headers: WithProof(proof));

        Assert.True(admitted.ReachedBackend, admitted.Body);
    }

    [Fact]
    public async Task On_SolutionPastItsTwoWindows_FreshChallengeAndNoPlace()
    {
        var clock = RoomUnderTest.NewClock();
        await using var room = await StartAsync("on", clock: clock);
        var a = await room.GetAsync("/echo");
        var proof = Proof.Solve(a.Text("challenge")!, Bits);

        clock.Advance(TimeSpan.FromSeconds(121));
        var stale = await room.GetAsync("/echo", a.Token, headers: WithProof(proof));

        AssertChallenge(stale, Bits);
        Assert.NotEqual(a.Text("challenge"), stale.Text("challenge"));
        await AssertNothingTakenAsync(room);
        var fresh = await room.GetAsync("/echo", a.Token, headers: WithProof(Proof.Solve(stale.Text("challenge")!, Bits)));
        Assert.True(fresh.ReachedBackend, fresh.Body);
    }

    [Fact]
    public async Task On_ReplayBySameVisitorAfterItsPlaceIsGone_OnePlaceWhileValidThenChallenge()
    {
        // The challenge is stateless: its own visitor may show it again while it is valid (one place at a
        // time, at the back), never once its two windows are over.
        var clock = RoomUnderTest.NewClock();
        await using var room = await StartAsync("on", clock: clock, configure: s => s["WR_ACTIVE_TTL"] = "5");
        var a = await room.GetAsync("/echo");
        var proof = Proof.Solve(a.Text("challenge")!, Bits);
        Assert.True((await room.GetAsync("/echo", a.Token, headers: WithProof(proof))).ReachedBackend);

        await room.AdvanceAsync(TimeSpan.FromSeconds(10));
        await AssertNothingTakenAsync(room);
        var replayed = await room.GetAsync("/echo", a.Token, headers: WithProof(proof));
        var twice = await room.GetAsync("/echo", a.Token, headers: WithProof(proof));
        var used = await room.UsedAsync();

        await room.AdvanceAsync(TimeSpan.FromSeconds(130));
        var late = await room.GetAsync("/echo", a.Token, headers: WithProof(proof));

        Assert.True(replayed.ReachedBackend, replayed.Body);
        Assert.True(twice.ReachedBackend, twice.Body);
        Assert.Equal(1, used);
        AssertChallenge(late, Bits);
        await AssertNothingTakenAsync(room);
    }

    [Fact]
    public async Task Auto_NoDifficultyWhileTheRoomAdmitsFreely_GrowsWithTheQueue_NoneOnceFreeAgain()
    {
        var clock = RoomUnderTest.NewClock();
        await using var room = await StartAsync("auto", maxActive: 1, clock: clock, bits: 12);
        var monitor = room.Proxy.Services.GetRequiredService<RoomMonitor>();
        await Visit.UntilAsync(() => Task.FromResult(monitor.LatestOf("default") is not null), TimeSpan.FromSeconds(30), "the first sample of the room");

        var first = await room.GetAsync("/echo", forwardedFor: "198.51.100.1");
        var second = await room.GetAsync("/echo", forwardedFor: "198.51.100.2");
        var difficulties = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            var newcomer = await room.GetAsync("/echo", forwardedFor: $"198.51.100.{10 + i}");
            Assert.Equal("challenge", newcomer.State);
            difficulties.Add(newcomer.Number("difficulty"));
            var joined = await room.GetAsync("/echo", newcomer.Token, headers: WithProof(Proof.Solve(newcomer.Text("challenge")!, (int)newcomer.Number("difficulty"))));
            Assert.Equal("queued", joined.State);
        }

        var store = room.Proxy.Services.GetRequiredService<IWaitingRoomStore>();
        var policy = room.Proxy.Services.GetRequiredService<WaitingRoom.Rooms.RoomTable>().All[0].PolicyAt(clock.GetUtcNow());
        await store.ResetQueueAsync(policy, default);
        Assert.True(await store.ReleaseAsync(policy, VisitorIdOf(first.Token!), default));
        await room.Proxy.Services.GetServices<IHostedService>().OfType<SharedStateSync>().Single().RunOnceAsync(default);
        var afterwards = await room.GetAsync("/echo", forwardedFor: "198.51.100.99");

        Assert.True(first.ReachedBackend, first.Body);
        Assert.Equal("queued", second.State);
        // 12 − 4 + ⌊log2(1 + queued / capacity)⌋ for 1 to 7 waiters.
        Assert.Equal([9, 9, 10, 10, 10, 10, 11], difficulties);
        Assert.True(afterwards.ReachedBackend, afterwards.Body);
    }

    [Fact]
    public async Task Off_NeverChallenges_EvenWithAHeader()
    {
        await using var room = await RoomUnderTest.StartAsync(1);

        var a = await room.GetAsync("/echo", forwardedFor: "198.51.100.1", headers: WithProof("garbage.1"));
        var b = await room.GetAsync("/echo", forwardedFor: "198.51.100.2", headers: WithProof("garbage.1"));

        Assert.True(a.ReachedBackend, a.Body);
        Assert.Equal("queued", b.State);
        Assert.Null(room.Proxy.Services.GetService<WaitingRoom.ProofOfWork.ProofOfWorkGate>());
    }

    [Fact]
    public async Task On_Passthrough_NobodyIsAsked()
    {
        await using var room = await StartAsync("on", configure: s => s["WR_QUEUE_MODE"] = "passthrough");

        var a = await room.GetAsync("/echo");

        Assert.True(a.ReachedBackend, a.Body);
    }

    [Fact]
    public async Task On_BrowserNewcomer_GetsThePageInItsChallengeStateWithoutARefreshLoop()
    {
        await using var room = await StartAsync("on");

        var english = await room.GetAsync("/shop?item=1", accept: "text/html");
        var german = await room.GetAsync("/shop", accept: "text/html", headers: new Dictionary<string, string> { ["Accept-Language"] = "de" });

        Assert.Equal(HttpStatusCode.OK, english.Status);
        Assert.Equal("text/html", english.MediaType);
        Assert.Equal("no-store", english.Headers.CacheControl?.ToString());
        Assert.Matches("data-challenge=\"[0-9]+-8-[A-Za-z0-9_-]{22}\"", english.Body);
        Assert.Contains("data-difficulty=\"8\"", english.Body, StringComparison.Ordinal);
        Assert.Contains("data-target=\"/shop?item=1\"", english.Body, StringComparison.Ordinal);
        Assert.Contains("<meta http-equiv=\"refresh\" content=\"\">", english.Body, StringComparison.Ordinal);
        Assert.Contains("needs JavaScript", english.Body, StringComparison.Ordinal);
        Assert.Contains("braucht JavaScript", german.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("{{", english.Body, StringComparison.Ordinal);
        await AssertNothingTakenAsync(room);
    }

    /// <summary>The visitor id of a token: the part before the '.'.</summary>
    private static string VisitorIdOf(string token) => token[..token.IndexOf('.', StringComparison.Ordinal)];
}
