using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WaitingRoom.Tests.EndToEnd;
using WaitingRoom.Tests.Infrastructure;
using WaitingRoom.Tests.Operations;
using Xunit;

namespace WaitingRoom.Tests.Adaptive;

/// <summary>
/// What an adaptive room shows of its signal and its changes, over real HTTP with the Redis store
/// and a real backend, in virtual time (the controller steps when the test says so): the measured
/// p95 and error share of a known forwarded load on /metrics and in the room's JSON, one audit line
/// per change (controller, origin, operator) and the room's recent changes, the same on every instance.
/// </summary>
public sealed class AdaptiveChangesTests
{
    private const string Token = "adaptive-changes-token-0123456789";

    /// <summary>An adaptive room between 2 and 10, target p95 0.5 s, its log captured in <paramref name="capture"/>.</summary>
    private static Task<RoomUnderTest> StartAsync(LogCapture capture) =>
        RoomUnderTest.StartAsync(
            10,
            settings =>
            {
                settings["WR_ADMIN_TOKEN"] = Token;
                settings["WR_ADAPTIVE"] = "on";
                settings["WR_MIN_ACTIVE"] = "2";
                settings["WR_ADAPTIVE_TARGET_P95"] = "0.5";
                settings["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0";
            },
            RoomUnderTest.NewClock(),
            services => services.AddSingleton<ILoggerProvider>(capture));

    /// <summary>The lower bound's two visitors come in; the test fails unless both reached the backend.</summary>
    private static async Task<string[]> TwoHoldersAsync(RoomUnderTest room)
    {
        var a = await room.GetAsync("/echo", forwardedFor: "198.51.100.1");
        var b = await room.GetAsync("/echo", forwardedFor: "198.51.100.2");
        Assert.True(a.ReachedBackend && b.ReachedBackend, a.Body + b.Body);
        return [a.Token!, b.Token!];
    }

    /// <summary>The holders' requests to <paramref name="paths"/> (one each, in turns), all at once; their answers.</summary>
    private static Task<VisitAnswer[]> ForwardAsync(RoomUnderTest room, string[] holders, IReadOnlyList<string> paths) =>
        Task.WhenAll(paths.Select((path, i) => room.GetAsync(path, holders[i % holders.Length])));

    private static List<LogCapture.Entry> AuditLines(LogCapture capture) =>
        [.. capture.Entries.Where(e => e.Category == "WaitingRoom.Audit")];

    private static PrometheusText Metrics(string text) => PrometheusText.Parse(text);

    [Fact]
    public async Task Signal_OriginAnswersIn300ms_P95OnMetricsAndInTheRoomJsonAndTheControllersStepIsAudited()
    {
        // Arrange: the two visitors in make twelve more requests that each take the origin 300 ms (fourteen in the window).
        var capture = new LogCapture();
        await using var room = await StartAsync(capture);
        using var admin = new AdminClient(room.Proxy.Address, Token);
        var holders = await TwoHoldersAsync(room);
        var answers = await ForwardAsync(room, holders, [.. Enumerable.Repeat("/slow?ms=300", 12)]);

        // Act: one step of the controller (p95 0.3 s is well under the aim of 0.45 s, the room is full: it grows).
        await room.Proxy.RunAdaptiveStepAsync();
        var metrics = Metrics(await room.Client.GetStringAsync("/_wr/metrics"));
        var json = (await admin.RoomAsync()).GetProperty("adaptive");

        // Assert: the gauges and the JSON show the window's p95 (HdrHistogram, two significant digits) and no errors.
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        var p95 = metrics.Value("wr_origin_p95_seconds", ("room", "default"));
        Assert.InRange(p95, 0.3, 0.45);
        Assert.Equal(0, metrics.Value("wr_origin_error_share", ("room", "default")));
        Assert.Equal(Math.Round(p95, 4), json.GetProperty("p95").GetDouble(), 4);
        Assert.Equal(0, json.GetProperty("errorShare").GetDouble());
        Assert.Equal("healthy", json.GetProperty("reason").GetString());
        Assert.Equal(1, metrics.Value("wr_capacity_changes_total", ("room", "default"), ("reason", "healthy")));

        var change = Assert.Single(json.GetProperty("changes").EnumerateArray());
        Assert.Equal((2, 4, "healthy", "controller"), (change.GetProperty("from").GetInt32(), change.GetProperty("to").GetInt32(), change.GetProperty("reason").GetString(), change.GetProperty("by").GetString()));
        Assert.Equal(Math.Round(p95, 4), change.GetProperty("p95").GetDouble(), 4);
        Assert.Equal(0, change.GetProperty("errorShare").GetDouble());
        Assert.Equal(room.Clock!.GetUtcNow().ToUnixTimeSeconds(), DateTimeOffset.Parse(change.GetProperty("at").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeSeconds());

        var audit = Assert.Single(AuditLines(capture));
        Assert.Matches(
            @"^Audit: controller from instance [0-9a-f]{12} did capacity on room default: 2 -> 4 \(healthy; p95 0\.[34]\d* s, error share 0 over 14 requests\)$",
            audit.Message);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"p95 {Math.Round(p95, 3)} s"), audit.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signal_OriginAnswers503ToAFifth_ErrorShareOnMetricsAndInTheRoomJson()
    {
        // Arrange: the holders' first two requests and eight more, the 3rd and 7th of them answered 503 by the origin.
        var capture = new LogCapture();
        await using var room = await StartAsync(capture);
        using var admin = new AdminClient(room.Proxy.Address, Token);
        var holders = await TwoHoldersAsync(room);
        var paths = Enumerable.Range(0, 8).Select(i => i is 2 or 6 ? "/status?code=503" : "/echo").ToList();
        var answers = new List<VisitAnswer>();
        foreach (var path in paths)
        {
            answers.Add(await room.GetAsync(path, holders[answers.Count % 2]));
        }

        // Act: one step (2 of the 10 requests failed, more than 5 %: a cut, but the room is at its lower bound already).
        await room.Proxy.RunAdaptiveStepAsync();
        var metrics = Metrics(await room.Client.GetStringAsync("/_wr/metrics"));
        var json = (await admin.RoomAsync()).GetProperty("adaptive");

        // Assert
        Assert.Equal(2, answers.Count(a => a.Status == HttpStatusCode.ServiceUnavailable));
        Assert.Equal(6, answers.Count(a => a.ReachedBackend));
        Assert.Equal(0.2, metrics.Value("wr_origin_error_share", ("room", "default")), 6);
        Assert.Equal(0.2, json.GetProperty("errorShare").GetDouble(), 6);
        Assert.InRange(json.GetProperty("p95").GetDouble(), 0.000001, 0.3);
        Assert.False(json.GetProperty("hold").GetBoolean());
        Assert.Empty(json.GetProperty("changes").EnumerateArray());
        Assert.Empty(AuditLines(capture));
    }

    [Fact]
    public async Task Changes_ControllerOriginAndOperator_OneAuditLineEachAndTheSameListOnASecondInstance()
    {
        // Arrange: two instances of the room; the first one's log is captured.
        var capture = new LogCapture();
        await using var room = await StartAsync(capture);
        await using var second = await room.StartInstanceAsync();
        using var admin = new AdminClient(room.Proxy.Address, Token);
        using var secondAdmin = new AdminClient(second.Address, Token);
        var holders = await TwoHoldersAsync(room);
        await ForwardAsync(room, holders, [.. Enumerable.Repeat("/echo", 12)]);

        // Act: the controller grows 2 → 4, the origin pins 7, the operator pins 5 and takes the pin away.
        await room.Proxy.RunAdaptiveStepAsync();
        var command = await room.GetAsync("/command?c=capacity%3D7", holders[0]);
        var pin = await admin.PatchAsync("/_wr/admin/rooms/default", """{"adaptive":{"pinned":5}}""");
        var pinned = pin.Json.GetProperty("adaptive");
        var unpin = await admin.PatchAsync("/_wr/admin/rooms/default", """{"adaptive":{"pinned":null}}""");
        var fromSecond = (await secondAdmin.RoomAsync()).GetProperty("adaptive");

        // Assert: every instance lists the same four changes, newest first.
        Assert.True(command.ReachedBackend, command.Body);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (pin.Status, unpin.Status));
        Assert.Equal((5, "operator"), (pinned.GetProperty("pinned").GetInt32(), pinned.GetProperty("pinnedBy").GetString()));
        Assert.Equal(5, pin.Json.GetProperty("capacity").GetInt32());
        var changes = fromSecond.GetProperty("changes").EnumerateArray()
            .Select(c => (c.GetProperty("from").GetInt32(), c.GetProperty("to").GetInt32(), c.GetProperty("reason").GetString(), c.GetProperty("by").GetString()))
            .ToList();
        Assert.Equal(
            [(5, 5, "unpinned", "operator"), (7, 5, "operator", "operator"), (4, 7, "origin", "origin"), (2, 4, "healthy", "controller")],
            changes);
        var first = fromSecond.GetProperty("changes")[3];
        Assert.Equal(JsonValueKind.Number, first.GetProperty("p95").ValueKind);
        Assert.Equal(JsonValueKind.Null, fromSecond.GetProperty("changes")[2].GetProperty("p95").ValueKind);
        Assert.Equal(JsonValueKind.Null, fromSecond.GetProperty("changes")[0].GetProperty("errorShare").ValueKind);
        Assert.Equal(JsonValueKind.Null, fromSecond.GetProperty("pinnedBy").ValueKind);

        // ...and one audit line per change, in the admin API's shape, by whoever made it.
        var audit = AuditLines(capture).Select(e => e.Message).Where(m => m.Contains(" did capacity on ", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, audit.Count);
        Assert.Matches(@"^Audit: controller from instance [0-9a-f]{12} did capacity on room default: 2 -> 4 \(healthy; p95 [0-9.]+ s, error share 0 over 14 requests\)$", audit[0]);
        Assert.Matches(@"^Audit: origin from http://127\.0\.0\.1:\d+/? did capacity on room default: 4 -> 7 \(origin; WR-Command: capacity=7\)$", audit[1]);
        Assert.Matches(@"^Audit: token:[0-9a-f]{8} from 127\.0\.0\.1 did capacity on room default: 7 -> 5 \(operator\)$", audit[2]);
        Assert.Matches(@"^Audit: token:[0-9a-f]{8} from 127\.0\.0\.1 did capacity on room default: 5 -> 5 \(unpinned\)$", audit[3]);
        Assert.All(AuditLines(capture), e => Assert.DoesNotContain(Token, e.Message, StringComparison.Ordinal));

        // The second instance's controller, once its settings show the pin gone, leaves the list alone.
        await room.AdvanceAsync(TimeSpan.FromSeconds(0.2), room.Proxy, second);
        await second.RunAdaptiveStepAsync();
        Assert.Equal(4, (await secondAdmin.RoomAsync()).GetProperty("adaptive").GetProperty("changes").GetArrayLength());
    }

    [Fact]
    public async Task OriginCommand_SoldOut_OneAuditLineEvenWhenTheOriginRepeatsIt()
    {
        // Arrange
        var capture = new LogCapture();
        await using var room = await StartAsync(capture);
        var holders = await TwoHoldersAsync(room);

        // Act
        var first = await room.GetAsync("/command?c=sold-out", holders[0]);
        var again = await room.GetAsync("/command?c=sold-out", holders[1]);

        // Assert
        Assert.True(first.ReachedBackend && again.ReachedBackend, first.Body + again.Body);
        var audit = Assert.Single(AuditLines(capture));
        Assert.Matches(@"^Audit: origin from http://127\.0\.0\.1:\d+/? did sold-out on room default: queueMode fifo -> queueMode reject \(WR-Command: sold-out\)$", audit.Message);
    }
}
