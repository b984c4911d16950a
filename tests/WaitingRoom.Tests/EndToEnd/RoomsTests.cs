using System.Net;
using WaitingRoom.Configuration;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// Several rooms in one proxy and one Redis (WR_ROOMS_FILE): each room by path, with its own
/// capacity and its own keys; and a rooms file with a mistake stops start-up.
/// </summary>
public sealed class RoomsTests
{
    private const string TwoRooms = """
        {
          "rooms": [
            { "name": "sale", "path": "/sale", "maxActive": 1 },
            { "name": "news", "path": "/news", "maxActive": 3 }
          ]
        }
        """;

    [Fact]
    public async Task Rooms_SaleNewsAndDefault_EachFillsToItsOwnCapacityUnderItsOwnKeys()
    {
        // Arrange
        using var file = new RoomsFile(TwoRooms);
        await using var room = await RoomUnderTest.StartAsync(maxActive: 2, settings =>
        {
            settings["WR_ROOMS_FILE"] = file.Path;
            settings.Remove("WR_RELEASE_INTERVAL"); // this test runs with the default interval
        });
        var address = 0;
        async Task<List<VisitAnswer>> FillAsync(string path, int visitors)
        {
            var answers = new List<VisitAnswer>();
            for (var i = 0; i < visitors; i++)
            {
                answers.Add(await room.GetAsync(path, forwardedFor: $"10.3.0.{++address}"));
            }

            return answers;
        }

        // Act: one more visitor than each room holds.
        var sale = await FillAsync("/sale/item", 2);
        var news = await FillAsync("/news/today", 4);
        var home = await FillAsync("/", 3);
        var capitalSale = await room.GetAsync("/Sale/x", forwardedFor: "10.3.1.1");
        var doubledSale = await room.GetAsync("//sale/y", forwardedFor: "10.3.1.2");
        var saleWaiter = sale[1];
        var saleStatus = await room.StatusAsync(saleWaiter.Token!, "sale");
        var saleWaiterInDefault = await room.StatusAsync(saleWaiter.Token!);
        var unknownRoom = await room.StatusAsync(saleWaiter.Token!, "nope");

        // Assert: each room admitted exactly its own capacity and queued the rest under its name.
        Assert.Equal([true, false], sale.Select(a => a.ReachedBackend));
        Assert.Equal([true, true, true, false], news.Select(a => a.ReachedBackend));
        Assert.Equal([true, true, false], home.Select(a => a.ReachedBackend));
        Assert.Equal(("queued", "sale", 1L), (saleWaiter.State, saleWaiter.Text("room"), saleWaiter.Number("position")));
        Assert.Equal(("queued", "news", 1L), (news[3].State, news[3].Text("room"), news[3].Number("position")));
        Assert.Equal(("queued", "default", 1L), (home[2].State, home[2].Text("room"), home[2].Number("position")));
        Assert.Equal(("queued", "sale", 2L), (capitalSale.State, capitalSale.Text("room"), capitalSale.Number("position")));
        Assert.Equal(("queued", "sale", 3L), (doubledSale.State, doubledSale.Text("room"), doubledSale.Number("position")));
        Assert.Equal(6, room.Backend.Requests);

        // Distinct keys per room.
        Assert.Equal(1, await room.CountAsync("active", "sale"));
        Assert.Equal(3, await room.CountAsync("active", "news"));
        Assert.Equal(2, await room.CountAsync("active"));
        Assert.Equal(3, await room.CountAsync("queue", "sale"));
        Assert.Equal(1, await room.CountAsync("queue", "news"));
        Assert.Equal(1, await room.CountAsync("queue"));

        // The status endpoint answers per room.
        Assert.Equal(("queued", "sale", 1L, 3L), (saleStatus.State, saleStatus.Text("room"), saleStatus.Number("position"), saleStatus.Number("queueLength")));
        Assert.Equal(("unknown", "default"), (saleWaiterInDefault.State, saleWaiterInDefault.Text("room")));
        Assert.Equal(HttpStatusCode.NotFound, unknownRoom.Status);
    }

    /// <summary>Files with one mistake each, and the line it is on.</summary>
    public static TheoryData<string, int> BrokenFiles => new()
    {
        {
            """
            {
              "rooms": [
                { "name": "sale", "path": "/sale", "maxActive": 1 },
                {
                  "name": "news",
                  "path": "/news",
                  "maxActive": 0
                }
              ]
            }
            """,
            7
        },
        {
            """
            {
              "rooms": [
                {
                  "name": "sale",
                  "path": "/sale"
                  "maxActive": 1
                }
              ]
            }
            """,
            6
        },
        {
            """
            {
              "rooms": [
                { "name": "sale", "path": "/sale" },
                { "name": "Sale", "path": "/other" }
              ]
            }
            """,
            4
        },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public async Task StartAsync_RoomsFileWithMistake_FailsNamingTheVariableAndTheLine(string json, int line)
    {
        // Arrange
        using var file = new RoomsFile(json);
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_ROOMS_FILE"] = file.Path;

        // Act: the options are validated by the framework's pipeline when the app is set up.
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
        {
            await using var proxy = await ProxyInstance.StartAsync(settings);
        });

        // Assert
        Assert.Contains("WR_ROOMS_FILE", error.Message, StringComparison.Ordinal);
        Assert.Contains($"line {line}:", error.Message, StringComparison.Ordinal);
        Assert.Single(error.Failures);
    }

    /// <summary>A rooms file in the temp folder, deleted afterwards.</summary>
    private sealed class RoomsFile : IDisposable
    {
        public RoomsFile(string json)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "wr-rooms-" + Guid.NewGuid().ToString("N") + ".json");
            File.WriteAllText(Path, json);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
