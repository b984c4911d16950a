using Microsoft.AspNetCore.Http;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using Xunit;

namespace WaitingRoom.Tests.Rooms;

public sealed class RoomTableTests
{
    private static readonly DateTimeOffset s_prequeueStart = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_end = new(2026, 12, 1, 18, 0, 0, TimeSpan.Zero);

    private static RoomSettings Room(string name, string host, string path) => new() { Name = name, Host = host, Path = path };

    /// <summary>The default room, a room for every host, one for a domain's subdomains and one for one host, all on /shop.</summary>
    private static RoomTable ShopTable() => new(
    [
        new RoomSettings(),
        Room("any", "*", "/shop"),
        Room("subdomains", "*.example.com", "/shop"),
        Room("exact", "shop.example.com", "/shop"),
    ]);

    /// <summary>A room of 100 (fifo) with an event: pre-queue from 08:00 with shuffle, 09:00 to 18:00 with 500 places and no queue.</summary>
    private static RoomSettings RoomWithEvent() => new()
    {
        Name = "sale",
        Path = "/sale",
        MaxActive = 100,
        QueueMode = QueueMode.Fifo,
        NewUsersPerMinute = 50,
        SessionMax = TimeSpan.Zero,
        Title = "Shop",
        Event = new RoomEvent
        {
            Start = s_start,
            End = s_end,
            PrequeueStart = s_prequeueStart,
            ShuffleAtStart = true,
            MaxActive = 500,
            NewUsersPerMinute = 1000,
            QueueMode = QueueMode.Reject,
            SessionMax = TimeSpan.FromMinutes(10),
            Title = "Winter sale",
        },
    };

    [Theory]
    [InlineData("shop.example.com", "exact")]
    [InlineData("a.example.com", "subdomains")]
    [InlineData("deep.a.example.com", "subdomains")]
    [InlineData("other.org", "any")]
    [InlineData("example.com", "any")]
    [InlineData(null, "any")]
    public void Match_SeveralHostsOnSamePath_MostSpecificHostWins(string? host, string expected)
    {
        // Arrange
        var table = ShopTable();

        // Act
        var room = table.Match(host, "/shop/cart");

        // Assert
        Assert.Equal(expected, room.Name);
    }

    [Fact]
    public void Match_ExactHostWithShortPathAndAnyHostWithLongPath_ExactHostWins()
    {
        // Arrange
        var table = new RoomTable([new RoomSettings(), Room("long", "*", "/shop/sale/vip"), Room("host", "shop.example.com", "/shop")]);

        // Act
        var room = table.Match("shop.example.com", "/shop/sale/vip/1");

        // Assert
        Assert.Equal("host", room.Name);
    }

    [Theory]
    [InlineData("/sale", "sale")]
    [InlineData("/sale/x", "sale")]
    [InlineData("/sale/vip", "vip")]
    [InlineData("/sale/vip/seat/7", "vip")]
    [InlineData("/", "default")]
    public void Match_NestedPaths_LongestPathWins(string path, string expected)
    {
        // Arrange
        var table = new RoomTable([Room("sale", "*", "/sale"), new RoomSettings(), Room("vip", "*", "/sale/vip")]);

        // Act
        var room = table.Match("shop.example.com", path);

        // Assert
        Assert.Equal(expected, room.Name);
    }

    [Theory]
    [InlineData("/Sale/x")]
    [InlineData("/SALE")]
    [InlineData("//sale")]
    [InlineData("//Sale//x")]
    public void Match_PathInOtherCaseOrWithRepeatedSlashes_SameRoom(string path)
    {
        // Arrange
        var table = new RoomTable([new RoomSettings(), Room("sale", "*", "/sale")]);

        // Act
        var room = table.Match("shop.example.com", path);

        // Assert
        Assert.Equal("sale", room.Name);
    }

    [Theory]
    [InlineData("shop.example.com.")]
    [InlineData("SHOP.Example.com")]
    [InlineData("SHOP.Example.com.")]
    public void Match_HostWithTrailingDotOrOtherCase_SameRoom(string host)
    {
        // Arrange
        var table = ShopTable();

        // Act
        var room = table.Match(host, "/shop");

        // Assert
        Assert.Equal("exact", room.Name);
    }

    [Theory]
    [InlineData("shop.example.com", "/other")]
    [InlineData("shop.example.com", "/")]
    [InlineData("shop.example.com", null)]
    [InlineData(null, "")]
    public void Match_NoRoomMatches_Default(string? host, string? path)
    {
        // Arrange
        var table = ShopTable();

        // Act
        var room = table.Match(host, path);

        // Assert
        Assert.Same(table.Default, room);
    }

    [Fact]
    public void Match_OnlyTheDefaultRoom_Default()
    {
        // Arrange
        var table = new RoomTable([new RoomSettings()]);

        // Act
        var room = table.Match("shop.example.com", "/shop");

        // Assert
        Assert.Same(table.Default, room);
    }

    [Fact]
    public void Match_Request_UsesHostWithoutPortAndPath()
    {
        // Arrange
        var table = ShopTable();
        var context = new DefaultHttpContext();
        context.Request.Host = new HostString("shop.example.com", 8443);
        context.Request.Path = "/Shop/cart";

        // Act
        var room = table.Match(context.Request);

        // Assert
        Assert.Equal("exact", room.Name);
    }

    [Fact]
    public void Find_NameInOtherCase_FindsRoom()
    {
        // Arrange
        var table = ShopTable();

        // Act
        var room = table.Find("EXACT");

        // Assert
        Assert.Equal("exact", room?.Name);
        Assert.Null(table.Find("missing"));
        Assert.Null(table.Find(null));
    }

    [Fact]
    public void Constructor_NoDefaultRoom_Throws()
    {
        // Arrange
        RoomSettings[] rooms = [Room("sale", "*", "/sale")];

        // Act + Assert
        Assert.Throws<ArgumentException>(() => new RoomTable(rooms));
    }

    [Theory]
    [InlineData("2026-12-01T07:59:59Z", RoomPhase.Normal)]
    [InlineData("2026-12-01T08:00:00Z", RoomPhase.Prequeue)]
    [InlineData("2026-12-01T08:59:59Z", RoomPhase.Prequeue)]
    [InlineData("2026-12-01T09:00:00Z", RoomPhase.Event)]
    [InlineData("2026-12-01T17:59:59Z", RoomPhase.Event)]
    [InlineData("2026-12-01T18:00:00Z", RoomPhase.Normal)]
    public void PhaseAt_EventWithPrequeue_PhaseOfTheInstant(string now, RoomPhase expected)
    {
        // Arrange
        var room = RoomWithEvent();

        // Act
        var phase = room.PhaseAt(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));

        // Assert
        Assert.Equal(expected, phase);
    }

    [Fact]
    public void PolicyAt_BeforePrequeue_RoomsOwnPolicy()
    {
        // Arrange
        var room = RoomWithEvent();

        // Act
        var policy = room.PolicyAt(s_prequeueStart.AddTicks(-1));

        // Assert
        Assert.Equal("sale", policy.Name);
        Assert.Equal(100, policy.MaxActive);
        Assert.Equal(QueueMode.Fifo, policy.Mode);
        Assert.Equal(50, policy.NewUsersPerMinute);
        Assert.Equal(TimeSpan.Zero, policy.SessionMax);
        Assert.False(policy.ShuffleArrivals);
    }

    [Fact]
    public void PolicyAt_InPrequeueWithShuffle_EveryoneQueuesAndArrivalsAreShuffled()
    {
        // Arrange
        var room = RoomWithEvent();

        // Act
        var policy = room.PolicyAt(s_prequeueStart.AddMinutes(30));

        // Assert
        Assert.Equal(QueueMode.QueueAll, policy.Mode);
        Assert.True(policy.ShuffleArrivals);
        Assert.Equal(500, policy.MaxActive);
    }

    [Fact]
    public void PolicyAt_DuringEvent_EventsSettings()
    {
        // Arrange
        var room = RoomWithEvent();

        // Act
        var policy = room.PolicyAt(s_start.AddHours(1));

        // Assert
        Assert.Equal(500, policy.MaxActive);
        Assert.Equal(QueueMode.Reject, policy.Mode);
        Assert.Equal(1000, policy.NewUsersPerMinute);
        Assert.Equal(TimeSpan.FromMinutes(10), policy.SessionMax);
        Assert.False(policy.ShuffleArrivals);
    }

    [Fact]
    public void PolicyAt_AfterEnd_RoomsOwnPolicyAgain()
    {
        // Arrange
        var room = RoomWithEvent();
        var before = room.PolicyAt(s_prequeueStart.AddTicks(-1));

        // Act
        var after = room.PolicyAt(s_end);

        // Assert
        Assert.Same(before, after);
        Assert.Equal(100, after.MaxActive);
        Assert.Equal(QueueMode.Fifo, after.Mode);
    }

    [Fact]
    public void PolicyAt_EventWithoutPrequeue_NormalUntilStart()
    {
        // Arrange
        var room = RoomWithEvent();
        room.Event!.PrequeueStart = null;
        room.Event.ShuffleAtStart = false;

        // Act
        var phase = room.PhaseAt(s_start.AddTicks(-1));
        var policy = room.PolicyAt(s_start.AddTicks(-1));

        // Assert
        Assert.Equal(RoomPhase.Normal, phase);
        Assert.Equal(QueueMode.Fifo, policy.Mode);
        Assert.Equal(100, policy.MaxActive);
    }

    [Fact]
    public void TitleOf_EventPhases_EventsTitleOtherwiseRooms()
    {
        // Arrange
        var room = RoomWithEvent();

        // Act
        var normal = room.TitleOf(RoomPhase.Normal);
        var prequeue = room.TitleOf(RoomPhase.Prequeue);
        var during = room.TitleOf(RoomPhase.Event);

        // Assert
        Assert.Equal("Shop", normal);
        Assert.Equal("Winter sale", prequeue);
        Assert.Equal("Winter sale", during);
    }
}
