using System.Net;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// WR_QUEUE_MODE over real HTTP: passthrough, queue-all, reject and random, each through YARP to a
/// real backend with the Redis store, in virtual time.
/// </summary>
public sealed class QueueModeTests
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(0.2);

    /// <summary>A room in virtual time: a free slot is given at the round after it frees, and only then.</summary>
    private static Task<RoomUnderTest> StartAsync(string mode, int maxActive) =>
        RoomUnderTest.StartAsync(maxActive, settings => settings["WR_QUEUE_MODE"] = mode, RoomUnderTest.NewClock());

    [Fact]
    public async Task Admit_PassthroughModeFiveVisitorsOneSlot_AllReachBackendAndCountAsActive()
    {
        // Arrange
        await using var room = await StartAsync("passthrough", maxActive: 1);

        // Act
        var answers = new List<VisitAnswer>();
        for (var i = 1; i <= 5; i++)
        {
            answers.Add(await room.GetAsync("/echo", forwardedFor: $"192.0.2.{i}"));
        }

        // Assert
        Assert.All(answers, a => Assert.True(a.ReachedBackend, $"{a.Status}: {a.Body}"));
        Assert.Equal(5, room.Backend.Requests);
        Assert.Equal(5, await room.CountAsync("active"));
        Assert.Equal(0, await room.CountAsync("queue"));
    }

    [Fact]
    public async Task Admit_QueueAllModeFirstVisitor_QueuedAndPageSaysNobodyIsLetIn()
    {
        // Arrange
        await using var room = await StartAsync("queue-all", maxActive: 100);

        // Act
        var first = await room.GetAsync("/echo", forwardedFor: "192.0.2.1");
        var page = await room.GetAsync("/echo", forwardedFor: "192.0.2.2", accept: "text/html");

        // Assert
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal("queued", first.State);
        Assert.Equal("queue-all", first.Text("mode"));
        Assert.Equal(1, first.Number("position"));
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("text/html", page.MediaType);
        Assert.Contains("Nobody is being let in", page.Body, StringComparison.Ordinal);
        Assert.Contains("data-mode=\"queue-all\"", page.Body, StringComparison.Ordinal);
        Assert.Equal(0, room.Backend.Requests);
        Assert.Equal(0, await room.UsedAsync());
        Assert.Equal(2, await room.CountAsync("queue"));
    }

    [Fact]
    public async Task Admit_RejectModeFullRoom_503RejectedAndNoQueueEntry()
    {
        // Arrange
        await using var room = await StartAsync("reject", maxActive: 1);
        var first = await room.GetAsync("/echo", forwardedFor: "192.0.2.1");

        // Act
        var second = await room.GetAsync("/echo", forwardedFor: "192.0.2.2");
        var page = await room.GetAsync("/echo", forwardedFor: "192.0.2.3", accept: "text/html");

        // Assert
        Assert.True(first.ReachedBackend, first.Body);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.Status);
        Assert.Equal("rejected", second.State);
        Assert.Equal("default", second.Text("room"));
        Assert.NotNull(second.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, page.Status);
        Assert.Equal("text/html", page.MediaType);
        Assert.Equal(1, room.Backend.Requests);
        Assert.Equal(0, await room.CountAsync("queue"));
        Assert.Equal(1, await room.CountAsync("active"));
    }

    [Fact]
    public async Task Promotion_RandomModeSlotReleasedRepeatedly_EveryWaiterAdmittedInTurn()
    {
        // Arrange: one holder, four waiters who draw their places.
        await using var room = await StartAsync("random", maxActive: 1);
        var holder = await room.TakeOnlySlotAsync("192.0.2.1");
        var waiters = new List<VisitAnswer>();
        for (var i = 2; i <= 5; i++)
        {
            waiters.Add(await room.GetAsync("/echo", forwardedFor: $"192.0.2.{i}"));
        }

        Assert.All(waiters, w =>
        {
            Assert.Equal("queued", w.State);
            Assert.Equal("random", w.Text("mode"));
        });
        Assert.All(await RoomStore.QueueAsync(room.Prefix), entry => Assert.True(entry.Score >= RoomStore.TicketBase, $"score {entry.Score} is not an arrival ticket: random mode draws at each release, not on arrival"));

        // Act: the holder's origin releases it; every waiter, once released, comes in and is released by the origin too.
        var released = await room.GetAsync("/release", holder.Token);
        var admitted = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; round < waiters.Count; round++)
        {
            await room.AdvanceAsync(s_interval);
            var before = admitted.Count;
            foreach (var waiter in waiters.Where(w => !admitted.Contains(w.Token!)).ToList())
            {
                var status = await room.StatusAsync(waiter.Token!);
                Assert.NotEqual("unknown", status.State);
                Assert.True(await room.UsedAsync() <= 1, "capacity exceeded");
                if (status.State == "released")
                {
                    var visit = await room.GetAsync("/release", waiter.Token);
                    Assert.True(visit.ReachedBackend, visit.Body);
                    admitted.Add(waiter.Token!);
                }
                else
                {
                    Assert.Equal("random", status.Text("mode"));
                }
            }

            Assert.Equal(before + 1, admitted.Count);
        }

        // Assert
        Assert.True(released.ReachedBackend, released.Body);
        Assert.Equal(1 + 1 + waiters.Count, room.Backend.Requests);
        Assert.Equal(0, await room.CountAsync("queue"));
    }

    /// <summary>
    /// README (Queue modes, random): "each time places free up everyone waiting has the same chance,
    /// whenever they arrived". Then nobody can tell in advance who gets the next free place: with
    /// eight waiters, the waiter the room itself reports at position 1 should win five rounds in a
    /// row with a chance of 1 in 8·7·6·5·4 = 6,720.
    /// </summary>
    [Fact]
    public async Task Promotion_RandomModeSlotFreesFiveTimes_WinnerIsNotFixedInAdvanceByPosition()
    {
        // Arrange: one holder, eight waiters who draw their places.
        await using var room = await StartAsync("random", maxActive: 1);
        var holder = (await room.GetAsync("/echo", forwardedFor: "192.0.2.1")).Token!;
        var waiting = new List<string>();
        for (var i = 2; i <= 9; i++)
        {
            waiting.Add((await room.GetAsync("/echo", forwardedFor: $"192.0.2.{i}")).Token!);
        }

        // Act: five times, note who is at position 1, free the slot and see who wins it.
        var foretold = 0;
        for (var round = 0; round < 5; round++)
        {
            var first = new List<string>();
            foreach (var token in waiting)
            {
                var status = await room.StatusAsync(token);
                Assert.Equal("queued", status.State);
                if (status.Number("position") == 1)
                {
                    first.Add(token);
                }
            }

            Assert.Single(first);
            Assert.True((await room.GetAsync("/release", holder)).ReachedBackend);
            await room.AdvanceAsync(s_interval);
            var winners = new List<string>();
            foreach (var token in waiting)
            {
                if ((await room.StatusAsync(token)).State == "released")
                {
                    winners.Add(token);
                }
            }

            var winner = Assert.Single(winners);
            foretold += winner == first[0] ? 1 : 0;
            Assert.True((await room.GetAsync("/echo", winner)).ReachedBackend);
            waiting.Remove(winner);
            holder = winner;
        }

        // Assert
        Assert.True(foretold < 5, "the waiter at position 1 won every one of the 5 rounds: the order was drawn once at arrival, not at each free place");
    }
}
