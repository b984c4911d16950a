using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using Xunit;

namespace WaitingRoom.Tests.Rooms;

/// <summary>The admin API's run-time settings, checked by the rules of the rooms file and applied to a copy of the configured room.</summary>
public sealed class RoomOverridesReaderTests
{
    private static RoomSettings Configured() => new()
    {
        Name = "sale",
        Host = "shop.example",
        Path = "/sale",
        MaxActive = 10,
        QueueMode = QueueMode.Fifo,
        Title = "Sale",
        BypassPaths = ["/sale/static/"],
    };

    [Fact]
    public void ApplyOverrides_ValidSettings_ChangeACopyAndKeepTheMatch()
    {
        // Arrange
        var configured = Configured();
        var errors = new List<string>();

        // Act
        var room = RoomsFileReader.ApplyOverrides(
            """{"maxActive":50,"queueMode":"random","newUsersPerMinute":30,"sessionMax":600,"event":{"start":"2026-12-01T10:00:00Z","end":"2026-12-01T12:00:00Z"}}""",
            configured,
            errors);

        // Assert
        Assert.Empty(errors);
        Assert.NotNull(room);
        Assert.NotSame(configured, room);
        Assert.Equal(50, room.MaxActive);
        Assert.Equal(QueueMode.Random, room.QueueMode);
        Assert.Equal(30, room.NewUsersPerMinute);
        Assert.Equal(TimeSpan.FromMinutes(10), room.SessionMax);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero), room.Event!.Start);
        Assert.Equal(("sale", "shop.example", "/sale", "Sale"), (room.Name, room.Host, room.Path, room.Title));
        Assert.Equal(["/sale/static/"], room.BypassPaths);
        Assert.Equal(10, configured.MaxActive);
    }

    [Fact]
    public void ApplyOverrides_NullValue_KeepsTheConfiguredSetting()
    {
        // Arrange
        var errors = new List<string>();

        // Act
        var room = RoomsFileReader.ApplyOverrides("""{"maxActive":null,"title":null}""", Configured(), errors);

        // Assert
        Assert.Empty(errors);
        Assert.Equal(10, room!.MaxActive);
        Assert.Equal("Sale", room.Title);
    }

    [Theory]
    [InlineData("""{"maxActive":0}""", "'maxActive' must be")]
    [InlineData("""{"maxActive":"many"}""", "'maxActive' must be")]
    [InlineData("""{"queueMode":"randm"}""", "'queueMode' must be")]
    [InlineData("""{"maxActiv":5}""", "unknown property 'maxActiv' (did you mean 'maxActive'?)")]
    [InlineData("""{"host":"evil.example"}""", "'host' cannot be changed at run time")]
    [InlineData("""{"path":"/"}""", "'path' cannot be changed at run time")]
    [InlineData("""{"bypassPaths":["/"]}""", "'bypassPaths' cannot be changed at run time")]
    [InlineData("""{"draining":"yes"}""", "'draining' must be")]
    [InlineData("""{"event":{"start":"2026-12-01T12:00:00Z","end":"2026-12-01T10:00:00Z"}}""", "'event.end' must be after 'event.start'")]
    [InlineData("""[1,2]""", "the settings must be an object")]
    [InlineData("""{"maxActive":""", "")]
    public void ApplyOverrides_BadSetting_RefusedWithAReason(string json, string reason)
    {
        // Arrange
        var errors = new List<string>();

        // Act
        var room = RoomsFileReader.ApplyOverrides(json, Configured(), errors);

        // Assert
        Assert.Null(room);
        Assert.NotEmpty(errors);
        Assert.Contains(errors, e => e.Contains(reason, StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.StartsWith("line ", StringComparison.Ordinal));
    }

    [Fact]
    public void PolicyOf_DrainingRoom_HasNoCapacityInEveryPhaseAndPassthroughQueues()
    {
        // Arrange
        var room = Configured();
        room.QueueMode = QueueMode.Passthrough;
        room.Event = new RoomEvent
        {
            Start = DateTimeOffset.UnixEpoch.AddDays(2),
            End = DateTimeOffset.UnixEpoch.AddDays(3),
            PrequeueStart = DateTimeOffset.UnixEpoch.AddDays(1),
            MaxActive = 500,
        };
        var draining = RoomsFileReader.ApplyOverrides("""{"draining":true}""", room, [])!;

        // Act
        var policies = new[] { RoomPhase.Normal, RoomPhase.Prequeue, RoomPhase.Event }.Select(draining.PolicyOf).ToList();

        // Assert
        Assert.All(policies, p => Assert.Equal(0, p.MaxActive));
        Assert.Equal(QueueMode.Fifo, policies[0].Mode);
        Assert.Equal(10, room.PolicyOf(RoomPhase.Normal).MaxActive);
    }
}
