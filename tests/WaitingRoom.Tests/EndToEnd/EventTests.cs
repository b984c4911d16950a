using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using WaitingRoom.Admission;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// A scheduled event of the default room (WR_EVENT_*) in virtual time with the Redis store: the
/// pre-queue lets nobody in and shuffles arrivals; at the start the event's capacity applies and
/// the promotion service releases the line.
/// </summary>
public sealed class EventTests
{
    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Event_ShuffledPrequeueThenStart_DrawsAheadOfLaterTicketsAndEventCapacityAdmitsTwo()
    {
        // Arrange: the pre-queue is open, the event starts in 60 s of the room's clock.
        var clock = RoomUnderTest.NewClock();
        var now = clock.GetUtcNow();
        var start = now.AddSeconds(60);
        await using var room = await RoomUnderTest.StartAsync(maxActive: 100, settings =>
        {
            settings["WR_EVENT_PREQUEUE_START"] = Iso(now.AddMinutes(-1));
            settings["WR_EVENT_START"] = Iso(start);
            settings["WR_EVENT_END"] = Iso(now.AddHours(1));
            settings["WR_EVENT_SHUFFLE"] = "true";
            settings["WR_EVENT_MAX_ACTIVE"] = "2";
            settings["WR_QUEUE_TTL"] = "3600";
        }, clock);
        var signer = room.Proxy.Services.GetRequiredService<VisitorTokenSigner>();
        string IdOf(string token) => signer.TryRead(token, out var id) ? id : throw new InvalidOperationException("not a token");

        // Act 1: twenty visitors arrive during the pre-queue.
        var early = new List<VisitAnswer>();
        for (var i = 1; i <= 20; i++)
        {
            early.Add(await room.GetAsync("/echo", forwardedFor: $"10.4.0.{i}"));
        }

        var placesAfterArrival = new List<long>();
        foreach (var visitor in early)
        {
            placesAfterArrival.Add((await room.StatusAsync(visitor.Token!)).Number("position"));
        }

        var prequeueScores = await RoomStore.QueueAsync(room.Prefix);

        // Assert 1: all wait, nobody reaches the backend, and every place is a random draw.
        Assert.All(early, a =>
        {
            Assert.Equal(HttpStatusCode.OK, a.Status);
            Assert.Equal(("queued", "prequeue", "queue-all"), (a.State, a.Text("phase"), a.Text("mode")));
            Assert.Equal(60, a.Number("estimatedWaitSeconds")); // the time until the start: the clock stands still
        });
        Assert.Equal(0, room.Backend.Requests);
        Assert.Equal(20, prequeueScores.Length);
        Assert.All(prequeueScores, entry => Assert.True(entry.Score >= 0 && entry.Score < RoomStore.TicketBase, $"pre-queue score {entry.Score} is not a draw in [0, 2^50)"));
        Assert.Equal(Enumerable.Range(1, 20).Select(p => (long)p), placesAfterArrival.Order());

        // The line is not the arrival order (the chance that a fair draw of 20 is exactly it is 1 in 20!).
        Assert.NotEqual(Enumerable.Range(1, 20).Select(p => (long)p), placesAfterArrival);

        // Act 2: the event starts; the promotion service releases up to the event's capacity.
        await room.AdvanceAsync(start - clock.GetUtcNow());
        var afterStart = new List<VisitAnswer>();
        foreach (var visitor in early)
        {
            afterStart.Add(await room.StatusAsync(visitor.Token!));
        }

        var releasedIndexes = Enumerable.Range(0, 20).Where(i => afterStart[i].State == "released").ToList();
        var claims = new List<VisitAnswer>();
        foreach (var i in releasedIndexes)
        {
            claims.Add(await room.GetAsync("/echo", early[i].Token));
        }

        var late = await room.GetAsync("/echo", forwardedFor: "10.4.1.1");
        var line = await RoomStore.QueueAsync(room.Prefix);

        // Assert 2: exactly the two holders of the lowest draws were released, in the event phase.
        Assert.Equal(start, clock.GetUtcNow());
        Assert.Equal(2, releasedIndexes.Count);
        Assert.Equal([1L, 2L], releasedIndexes.Select(i => placesAfterArrival[i]).Order());
        Assert.All(afterStart, s => Assert.Equal("event", s.Text("phase")));
        Assert.All(afterStart.Where(s => s.State != "released"), s => Assert.Equal("queued", s.State));
        Assert.All(claims, c => Assert.True(c.ReachedBackend, c.Body));

        // A visitor who arrives after the start takes a ticket behind every pre-queue draw.
        Assert.Equal(("queued", "event", "fifo"), (late.State, late.Text("phase"), late.Text("mode")));
        Assert.Equal(19, late.Number("position"));
        Assert.Equal(19, late.Number("queueLength"));
        Assert.Equal(IdOf(late.Token!), line[^1].Element.ToString());
        Assert.True(line[^1].Score >= RoomStore.TicketBase, $"late score {line[^1].Score} is not a ticket");
        Assert.All(line[..^1], entry => Assert.True(entry.Score < RoomStore.TicketBase));

        // Assert 3: a few more promotion rounds admit nobody else: the event's capacity is 2.
        for (var round = 0; round < 5; round++)
        {
            await room.AdvanceAsync(TimeSpan.FromSeconds(1));
            Assert.True(await room.UsedAsync() <= 2, "the event's capacity of 2 was exceeded");
        }

        Assert.Equal(2, room.Backend.Requests);
        Assert.Equal(2, await room.CountAsync("active"));
        Assert.Equal(0, await room.CountAsync("released"));
        Assert.Equal(19, await room.CountAsync("queue"));
    }
}
