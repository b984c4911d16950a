using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// The queue in virtual time through the whole proxy and the Redis store: promotion order,
/// dropping waiters who stop polling, and freeing the slots of released visitors who never come
/// back. The clock moves only by <see cref="RoomUnderTest.AdvanceAsync"/>, so no TTL races a request.
/// </summary>
public sealed class QueueFlowTests
{
    private static Task<RoomUnderTest> StartAsync(int maxActive, Action<Dictionary<string, string?>> configure) =>
        RoomUnderTest.StartAsync(maxActive, settings =>
        {
            settings["WR_RELEASE_INTERVAL"] = "1";
            configure(settings);
        }, RoomUnderTest.NewClock());

    [Fact]
    public async Task Promotion_SlotsFreeRepeatedly_VisitorsReleasedStrictlyByPosition()
    {
        // Arrange: two take the slots and leave; twelve queue behind them.
        await using var room = await StartAsync(maxActive: 2, settings =>
        {
            settings["WR_ACTIVE_TTL"] = "60";
            settings["WR_QUEUE_TTL"] = "3600";
        });
        for (var i = 0; i < 2; i++)
        {
            Assert.True((await room.GetAsync("/echo")).ReachedBackend);
        }

        var waiters = new List<string>();
        var positions = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            var answer = await room.GetAsync("/echo");
            waiters.Add(answer.Token!);
            positions.Add(answer.Number("position"));
        }

        // Act: six times, the visitors inside stay idle past the active TTL; the round frees their
        // slots, and whoever is released comes in once and leaves.
        var releasedPerRound = new List<int[]>();
        var next = 0;
        for (var round = 0; round < 6; round++)
        {
            await room.AdvanceAsync(TimeSpan.FromSeconds(61));
            var states = new List<string?>();
            foreach (var token in waiters.Skip(next))
            {
                states.Add((await room.StatusAsync(token)).State);
            }

            var released = states.Select((state, i) => (state, i: i + next)).Where(s => s.state == "released").Select(s => s.i).ToArray();
            Assert.All(states.Where(s => s != "released"), s => Assert.Equal("queued", s));
            releasedPerRound.Add(released);
            foreach (var i in released)
            {
                Assert.True((await room.GetAsync("/echo", waiters[i])).ReachedBackend);
            }

            next += released.Length;
        }

        // Assert: two by two, strictly by position, each exactly when the slots freed.
        Assert.Equal(Enumerable.Range(1, 12).Select(p => (long)p), positions);
        Assert.Equal(Enumerable.Range(0, 6).Select(r => new[] { 2 * r, (2 * r) + 1 }), releasedPerRound);
        Assert.Equal(14, room.Backend.Requests);
    }

    [Fact]
    public async Task Queue_WaiterStopsPolling_LosesPlaceWhileWaiterWhoPollsKeepsIt()
    {
        // Arrange
        await using var room = await StartAsync(maxActive: 1, settings => settings["WR_QUEUE_TTL"] = "30");
        var holder = (await room.GetAsync("/")).Token!;
        var quitter = (await room.GetAsync("/")).Token!;
        var poller = (await room.GetAsync("/")).Token!;

        // Act: every 5 s the holder comes back and the poller polls; the quitter never polls again.
        var queueLengths = new List<long>();
        for (var step = 0; step < 12; step++)
        {
            await room.AdvanceAsync(TimeSpan.FromSeconds(5));
            queueLengths.Add(await room.CountAsync("queue"));
            Assert.True((await room.GetAsync("/", holder)).ReachedBackend);
            Assert.Equal("queued", (await room.StatusAsync(poller)).State);
        }

        var quitterAfter = await room.StatusAsync(quitter);
        var pollerAfter = await room.StatusAsync(poller);

        // Assert: the quitter's place is kept for at least its 30 s TTL and swept within one and a half
        // (polls are kept in generations of half the TTL): at the round at 45 s. The poller moves up to 1.
        Assert.Equal([2L, 2L, 2L, 2L, 2L, 2L, 2L, 2L, 1L, 1L, 1L, 1L], queueLengths);
        Assert.Equal("unknown", quitterAfter.State);
        Assert.Equal(("queued", 1L), (pollerAfter.State, pollerAfter.Number("position")));
    }

    [Fact]
    public async Task Release_VisitorNeverComesBack_SlotFreesAfterAdmissionWindowForTheNext()
    {
        // Arrange: the holder leaves; the no-show is released first and never comes.
        await using var room = await StartAsync(maxActive: 1, settings =>
        {
            settings["WR_ACTIVE_TTL"] = "60";
            settings["WR_QUEUE_TTL"] = "3600";
            settings["WR_ADMISSION_WINDOW"] = "30";
        });
        Assert.True((await room.GetAsync("/")).ReachedBackend);
        var noShow = (await room.GetAsync("/")).Token!;
        var next = (await room.GetAsync("/")).Token!;

        // Act
        await room.AdvanceAsync(TimeSpan.FromSeconds(61));
        var noShowReleased = (await room.StatusAsync(noShow)).State;
        await room.AdvanceAsync(TimeSpan.FromSeconds(29));
        var nextWithinTheWindow = (await room.StatusAsync(next)).State;
        await room.AdvanceAsync(TimeSpan.FromSeconds(2));
        var nextAfterTheWindow = (await room.StatusAsync(next)).State;
        var noShowAfter = (await room.StatusAsync(noShow)).State;
        var nextVisit = await room.GetAsync("/echo", next);

        // Assert: the slot stays the no-show's for its whole admission window, then goes to the next.
        Assert.Equal("released", noShowReleased);
        Assert.Equal("queued", nextWithinTheWindow);
        Assert.Equal("released", nextAfterTheWindow);
        Assert.Equal("unknown", noShowAfter);
        Assert.True(nextVisit.ReachedBackend, nextVisit.Body);
    }
}
