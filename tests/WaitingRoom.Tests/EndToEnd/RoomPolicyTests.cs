using System.Net;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// The room's policies over real HTTP with the Redis store: the admission rate cap across
/// instances, the origin's release header, the absolute session cap, bypass rules and the
/// per-address newcomer cap. Rate windows and session caps run in virtual time
/// (<see cref="RoomUnderTest.AdvanceAsync"/>).
/// </summary>
public sealed class RoomPolicyTests
{
    [Fact]
    public async Task Admit_RateCapFiveAcrossThreeInstances_ExactlyFiveAdmittedAndPromotionStaysUnderTheCap()
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(maxActive: 1000, settings => settings["WR_NEW_USERS_PER_MINUTE"] = "5", RoomUnderTest.NewClock());
        await using var second = await room.StartInstanceAsync();
        await using var third = await room.StartInstanceAsync();
        var clients = new[] { room.Client, second.Anonymous(), third.Anonymous() };

        try
        {
            // Act: 30 newcomers from 30 addresses at once, round-robin over the instances.
            using var start = new SemaphoreSlim(0);
            var requests = Enumerable.Range(0, 30).Select(async i =>
            {
                await start.WaitAsync();
                return await Visit.GetAsync(clients[i % clients.Length], "/echo", forwardedFor: $"10.2.0.{i + 1}");
            }).ToList();
            start.Release(30);
            var answers = await Task.WhenAll(requests);

            // Assert: the minute's five admissions went to direct admissions...
            Assert.Equal(5, answers.Count(a => a.ReachedBackend));
            Assert.Equal(25, answers.Count(a => a.State == "queued"));
            Assert.Equal(Enumerable.Range(1, 25).Select(p => (long)p), answers.Where(a => a.State == "queued").Select(a => a.Number("position")).Order());
            Assert.Equal(5, room.Backend.Requests);

            // ...and the promotion rounds of three instances (five rounds each within the minute) release nobody more.
            for (var round = 0; round < 5; round++)
            {
                await room.AdvanceAsync(TimeSpan.FromSeconds(10), room.Proxy, second, third);
            }

            Assert.Equal(5, room.Backend.Requests);
            var used = await room.UsedAsync();
            Assert.True(used <= 5, $"{used} active or released");
            Assert.Equal(0, await room.CountAsync("released"));
            Assert.Equal(25, await room.CountAsync("queue"));
            var waiter = answers.First(a => a.State == "queued");
            Assert.Equal("queued", (await Visit.StatusAsync(clients[0], waiter.Token!)).State);
        }
        finally
        {
            // The room disposes its own client, clients[0].
            foreach (var client in clients.Skip(1))
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task Promotion_RateCapThreeAndSlotFreedThreeTimes_PromotionsCountAndThirdWaiterWaitsForTheMinute()
    {
        // Arrange: one slot, three admissions a minute; A takes the first, B, C and D wait.
        await using var room = await RoomUnderTest.StartAsync(maxActive: 1, settings => settings["WR_NEW_USERS_PER_MINUTE"] = "3", RoomUnderTest.NewClock());
        var a = await room.GetAsync("/echo", forwardedFor: "198.51.100.1");
        var b = await room.GetAsync("/echo", forwardedFor: "198.51.100.2");
        var c = await room.GetAsync("/echo", forwardedFor: "198.51.100.3");
        var d = await room.GetAsync("/echo", forwardedFor: "198.51.100.4");
        Assert.True(a.ReachedBackend, a.Body);
        Assert.Equal([1L, 2L, 3L], new[] { b, c, d }.Select(w => w.Number("position")));

        // Act: the origin releases each holder in turn; B and C are promoted (admissions 2 and 3).
        Assert.True((await room.GetAsync("/release", a.Token)).ReachedBackend);
        await room.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal("released", (await room.StatusAsync(b.Token!)).State);
        Assert.True((await room.GetAsync("/release", b.Token)).ReachedBackend);
        await room.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal("released", (await room.StatusAsync(c.Token!)).State);
        Assert.True((await room.GetAsync("/release", c.Token)).ReachedBackend);

        // Assert: the slot is free, but the minute's three admissions are used: D keeps waiting (five rounds within the minute).
        for (var round = 0; round < 5; round++)
        {
            await room.AdvanceAsync(TimeSpan.FromSeconds(10));
            var status = await room.StatusAsync(d.Token!);
            Assert.Equal(("queued", 1L), (status.State, status.Number("position")));
        }

        var dVisit = await room.GetAsync("/echo", d.Token);
        Assert.Equal("queued", dVisit.State);
        Assert.Equal(0, await room.UsedAsync());
        Assert.Equal(3, await room.CountAsync("admits"));
        Assert.Equal(4, room.Backend.Requests);
    }

    [Fact]
    public async Task ReleaseHeader_OriginReleasesActiveVisitor_HeaderStrippedAndNextVisitorAdmitted()
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(maxActive: 1, clock: RoomUnderTest.NewClock());
        var (a, b) = await room.HolderAndWaiterAsync();

        // Act: one release interval (0.2 s) after the origin released A.
        var release = await room.GetAsync("/release", a.Token);
        var aAfter = await room.StatusAsync(a.Token!);
        await room.AdvanceAsync(TimeSpan.FromSeconds(0.2));
        var bAfterOneInterval = await room.StatusAsync(b.Token!);
        var bVisit = await room.GetAsync("/echo", b.Token);

        // Assert
        Assert.True(release.ReachedBackend, release.Body);
        Assert.False(release.HasHeader("WR-Command"), "the origin's WR-Command header reached the visitor");
        Assert.Equal("unknown", aAfter.State);
        Assert.Equal("released", bAfterOneInterval.State);
        Assert.True(bVisit.ReachedBackend, bVisit.Body);
        Assert.Equal(3, room.Backend.Requests);
        Assert.Equal(1, await room.CountAsync("active"));
    }

    /// <summary>
    /// README: "The origin can end a visitor's session at once: answer any request with the response
    /// header WR-Command: release". A visitor's cookie still names it on a path that bypasses the
    /// queue (an /api prefix bypassed for XHR calls is where a checkout typically completes).
    /// </summary>
    [Fact]
    public async Task ReleaseHeader_OnBypassedPathOfActiveVisitor_FreesTheVisitorsSlot()
    {
        // Arrange: A holds the only slot, B waits; the origin's /release is on a bypassed path.
        await using var room = await RoomUnderTest.StartAsync(maxActive: 1, settings => settings["WR_BYPASS_PATHS"] = "/release");
        var (a, _) = await room.HolderAndWaiterAsync();

        // Act
        var release = await room.GetAsync("/release", a.Token);
        var aAfter = await room.StatusAsync(a.Token!);

        // Assert
        Assert.True(release.ReachedBackend, release.Body);
        Assert.False(release.HasHeader("WR-Command"), "the origin's WR-Command header reached the visitor");
        Assert.Equal("unknown", aAfter.State);
        Assert.Equal(0, await room.CountAsync("active"));
    }

    [Fact]
    public async Task SessionMax_ActiveVisitorKeepsRequesting_SessionEndsAtCapAndWaiterGetsTheSlot()
    {
        // Arrange: a 120 s session cap, far longer than A ever stays idle.
        await using var room = await RoomUnderTest.StartAsync(maxActive: 1, settings =>
        {
            settings["WR_SESSION_MAX"] = "120";
            settings["WR_ACTIVE_TTL"] = "60";
            settings["WR_QUEUE_TTL"] = "3600";
        }, RoomUnderTest.NewClock());
        var (a, b) = await room.HolderAndWaiterAsync();

        // Act: A never goes idle (a request every 10 s); B polls. Then the clock passes A's cap.
        var aForwarded = 0;
        var bStates = new List<string?>();
        for (var step = 0; step < 11; step++)
        {
            await room.AdvanceAsync(TimeSpan.FromSeconds(10));
            aForwarded += (await room.GetAsync("/echo", a.Token)).ReachedBackend ? 1 : 0;
            bStates.Add((await room.StatusAsync(b.Token!)).State);
        }

        await room.AdvanceAsync(TimeSpan.FromSeconds(11));
        var aPastTheCap = await room.GetAsync("/echo", a.Token);
        var bPastTheCap = await room.StatusAsync(b.Token!);
        var bVisit = await room.GetAsync("/echo", b.Token);
        var aWhileBHolds = new List<VisitAnswer>();
        for (var i = 0; i < 3; i++)
        {
            aWhileBHolds.Add(await room.GetAsync("/echo", a.Token));
        }

        // Assert: A was in for its whole 120 s, every request forwarded; the cap, not idleness, ended it.
        Assert.Equal(11, aForwarded);
        Assert.All(bStates, state => Assert.Equal("queued", state));
        Assert.False(aPastTheCap.ReachedBackend, "A was forwarded past its session cap");
        Assert.Equal("released", bPastTheCap.State);
        Assert.True(bVisit.ReachedBackend, bVisit.Body);

        // Once its session ended, A waits while B holds the slot (B's own cap is far off: the clock stands still).
        Assert.All(aWhileBHolds.Prepend(aPastTheCap), answer =>
        {
            Assert.False(answer.ReachedBackend, "A was admitted again while B held the only slot");
            Assert.Equal("queued", answer.State);
        });
        Assert.Equal(1, await room.CountAsync("active"));
    }

    [Fact]
    public async Task Bypass_PathPrefixInAnyCaseOrWithDoubleSlash_ReachesBackendWithoutTakingSlot()
    {
        // Arrange: one visitor holds the only slot.
        await using var room = await RoomUnderTest.StartAsync(maxActive: 1, settings => settings["WR_BYPASS_PATHS"] = "/static");
        await room.TakeOnlySlotAsync("198.51.100.1");

        // Act: a second, cookieless client.
        var lower = await room.GetAsync("/static/a.css", forwardedFor: "198.51.100.2");
        var upper = await room.GetAsync("/STATIC/a.css", forwardedFor: "198.51.100.2");
        var doubled = await room.GetAsync("//static/a.css", forwardedFor: "198.51.100.2");
        var elsewhere = await room.GetAsync("/a.css", forwardedFor: "198.51.100.2");

        // Assert
        Assert.Equal("backend:/static/a.css", lower.Body);
        Assert.Equal("backend:/STATIC/a.css", upper.Body);
        Assert.Equal("backend://static/a.css", doubled.Body);
        Assert.Equal("queued", elsewhere.State);
        Assert.Equal(4, room.Backend.Requests);
        Assert.Equal(1, await room.CountAsync("active"));
        Assert.Equal(1, await room.CountAsync("queue"));
    }

    [Fact]
    public async Task Bypass_HeaderWithRightSecret_PassesWhileWrongSecretQueues()
    {
        // Arrange: one visitor holds the only slot.
        await using var room = await RoomUnderTest.StartAsync(maxActive: 1, settings => settings["WR_BYPASS_HEADER"] = "X-Health:s3cret-value");
        await room.TakeOnlySlotAsync("198.51.100.1");

        // Act
        var right = await room.GetAsync("/echo", forwardedFor: "198.51.100.2", headers: new Dictionary<string, string> { ["X-Health"] = "s3cret-value" });
        var wrong = await room.GetAsync("/echo", forwardedFor: "198.51.100.3", headers: new Dictionary<string, string> { ["X-Health"] = "s3cret-valuf" });
        var prefixOnly = await room.GetAsync("/echo", forwardedFor: "198.51.100.4", headers: new Dictionary<string, string> { ["X-Health"] = "s3cret" });
        var none = await room.GetAsync("/echo", forwardedFor: "198.51.100.5");

        // Assert
        Assert.True(right.ReachedBackend, right.Body);
        Assert.Equal("queued", wrong.State);
        Assert.Equal("queued", prefixOnly.State);
        Assert.Equal("queued", none.State);
        Assert.Equal(2, room.Backend.Requests);
        Assert.Equal(1, await room.CountAsync("active"));
        Assert.Equal(3, await room.CountAsync("queue"));
    }

    [Fact]
    public async Task Admit_PerAddressCapThree_FurtherNewcomersGet429WhileOtherAddressesAndCookieHoldersPass()
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(maxActive: 1, settings => settings["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "3");
        const string Address = "203.0.113.9";

        // Act: six cookieless requests from one address.
        var answers = new List<VisitAnswer>();
        var queueLengths = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await room.GetAsync("/echo", forwardedFor: Address));
            queueLengths.Add(await room.CountAsync("queue"));
        }

        var other = await room.GetAsync("/echo", forwardedFor: "203.0.113.10");
        var holderAgain = new List<VisitAnswer>();
        var waiterAgain = new List<VisitAnswer>();
        for (var i = 0; i < 10; i++)
        {
            holderAgain.Add(await room.GetAsync("/echo", answers[0].Token, Address));
            waiterAgain.Add(await room.GetAsync("/echo", answers[1].Token, Address));
        }

        // Assert: the first three created entries (one slot, two places)...
        Assert.True(answers[0].ReachedBackend, answers[0].Body);
        Assert.Equal("queued", answers[1].State);
        Assert.Equal("queued", answers[2].State);
        Assert.Equal([0L, 1L, 2L], queueLengths.Take(3));

        // ...the rest were refused with 429 and a Retry-After within the minute, and created nothing.
        foreach (var limited in answers.Skip(3))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
            Assert.Equal("limited", limited.State);
            var retry = limited.Headers.RetryAfter?.Delta;
            Assert.NotNull(retry);
            Assert.InRange(retry.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        }

        Assert.Equal([2L, 2L, 2L], queueLengths.Skip(3));

        // Another address still gets a place; the cookie holders of the limited address are never limited.
        Assert.Equal("queued", other.State);
        Assert.Equal(3, other.Number("position"));
        Assert.All(holderAgain, answer => Assert.True(answer.ReachedBackend, $"{answer.Status}: {answer.Body}"));
        Assert.All(waiterAgain, answer =>
        {
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            Assert.Equal("queued", answer.State);
            Assert.Equal(1, answer.Number("position"));
        });
        Assert.Equal(11, room.Backend.Requests);
        Assert.Equal(3, await room.CountAsync("queue"));
    }

    [Fact]
    public async Task Admit_PerAddressCapTwoOverIPv6_OneSlash64CountsAsOneAddress()
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(maxActive: 1, settings => settings["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "2");

        // Act: three addresses of one /64, then one of the neighbouring /64.
        var first = await room.GetAsync("/echo", forwardedFor: "2001:db8:0:7::1");
        var second = await room.GetAsync("/echo", forwardedFor: "2001:db8:0:7::2");
        var third = await room.GetAsync("/echo", forwardedFor: "2001:db8:0:7:ffff::3");
        var neighbour = await room.GetAsync("/echo", forwardedFor: "2001:db8:0:8::1");

        // Assert
        Assert.True(first.ReachedBackend, first.Body);
        Assert.Equal("queued", second.State);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.Status);
        Assert.Equal("queued", neighbour.State);
        Assert.Equal(2, await room.CountAsync("queue"));
    }
}
