using System.Net;
using WaitingRoom.Tests.EndToEnd;
using Xunit;

namespace WaitingRoom.Tests.Access;

/// <summary>WR_QUEUE_STATUS and X-Robots-Tag on the room's own answers, through the real proxy, Redis and backend.</summary>
public sealed class QueueStatusTests
{
    [Theory]
    [InlineData(null, HttpStatusCode.OK, false)]
    [InlineData("200", HttpStatusCode.OK, false)]
    [InlineData("202", HttpStatusCode.Accepted, false)]
    [InlineData("429", HttpStatusCode.TooManyRequests, true)]
    [InlineData("503", HttpStatusCode.ServiceUnavailable, true)]
    public async Task Get_QueuePage_TheConfiguredStatusWithRetryAfterFor429And503(string? status, HttpStatusCode expected, bool retryAfter)
    {
        // Arrange
        await using var room = await RoomUnderTest.StartAsync(1, s => s["WR_QUEUE_STATUS"] = status, RoomUnderTest.NewClock());
        await room.TakeOnlySlotAsync("198.51.100.1");

        // Act
        var page = await room.GetAsync("/product/42", forwardedFor: "198.51.100.2", accept: "text/html");
        var json = await room.GetAsync("/product/42", token: page.Token, forwardedFor: "198.51.100.2");
        var poll = await room.StatusAsync(page.Token!);

        // Assert: the page carries the status; API clients and the page's own poll keep 200 and their JSON.
        Assert.Equal(expected, page.Status);
        Assert.Contains("data-poll=", page.Body, StringComparison.Ordinal);
        Assert.Equal(retryAfter, page.Headers.RetryAfter is not null);
        if (retryAfter)
        {
            Assert.Equal(TimeSpan.FromSeconds(json.Number("pollAfterSeconds")), page.Headers.RetryAfter!.Delta);
        }

        Assert.Equal(["noindex"], page.Headers.GetValues("X-Robots-Tag"));
        Assert.Equal((HttpStatusCode.OK, "queued"), (json.Status, json.State));
        Assert.Equal((HttpStatusCode.OK, "queued"), (poll.Status, poll.State));
        Assert.Equal(1, await room.CountAsync("queue"));
    }

    [Fact]
    public async Task Get_EveryPageOfTheRoom_CarriesXRobotsTagNoIndexButTheSitesPagesDoNot()
    {
        // Arrange: a full room in reject mode ("sale"), the default room with one slot, the admin API on.
        using var file = new AddressListTests.TempFile("""{"rooms":[{"name":"sale","path":"/sale","maxActive":1,"queueMode":"reject"}]}""");
        const string Token = "an-admin-token-of-some-length";
        await using var room = await RoomUnderTest.StartAsync(1, s =>
        {
            s["WR_ROOMS_FILE"] = file.Path;
            s["WR_ADMIN_TOKEN"] = Token;
        }, RoomUnderTest.NewClock());
        var site = await room.TakeOnlySlotAsync("198.51.100.1");
        Assert.True((await room.GetAsync("/sale/a", forwardedFor: "198.51.100.1")).ReachedBackend);
        var admin = new Dictionary<string, string> { ["Authorization"] = "Bearer " + Token };

        // Act
        VisitAnswer[] answers =
        [
            await room.GetAsync("/echo", forwardedFor: "198.51.100.2", accept: "text/html"), // queue page
            await room.GetAsync("/echo", forwardedFor: "198.51.100.3"), // queued JSON
            await room.GetAsync("/sale/a", forwardedFor: "198.51.100.2", accept: "text/html"), // closed page
            await room.GetAsync("/_wr/status"),
            await room.GetAsync("/_wr/health"),
            await room.GetAsync("/_wr/nothing-here"),
            await room.GetAsync("/_wr/admin/", accept: "text/html"), // dashboard
            await room.GetAsync("/_wr/admin/rooms", headers: admin),
        ];

        // Assert
        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.OK, HttpStatusCode.OK],
            answers.Select(a => a.Status));
        Assert.All(answers, a => Assert.Equal(["noindex"], a.Headers.GetValues("X-Robots-Tag")));
        Assert.False(site.Headers.Contains("X-Robots-Tag"));
    }

    [Fact]
    public async Task Get_NoBackendAnswers_TheOutagePageCarriesXRobotsTag()
    {
        // Arrange: a backend address nothing listens on.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var room = await RoomUnderTest.StartAsync(5, s => s["WR_BACKEND_URL"] = $"http://127.0.0.1:{port}/", RoomUnderTest.NewClock());

        // Act
        var page = await room.GetAsync("/echo", accept: "text/html");

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, page.Status);
        Assert.Equal(["noindex"], page.Headers.GetValues("X-Robots-Tag"));
    }
}
