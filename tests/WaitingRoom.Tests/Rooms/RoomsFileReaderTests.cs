using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using Xunit;

namespace WaitingRoom.Tests.Rooms;

public sealed class RoomsFileReaderTests
{
    /// <summary>The default room as the WR_* variables could set it: every number differs from RoomSettings' own defaults.</summary>
    private static RoomSettings Defaults() => new()
    {
        MaxActive = 77,
        ActiveTtl = TimeSpan.FromSeconds(45),
        QueueTtl = TimeSpan.FromSeconds(30),
        AdmissionWindow = TimeSpan.FromSeconds(90),
        QueueMode = QueueMode.Random,
        NewUsersPerMinute = 11,
        SessionMax = TimeSpan.FromSeconds(600),
        MaxNewPerIpPerMinute = 9,
        Title = "Default title",
        Message = "Default message",
        BypassPaths = ["/static"],
    };

    /// <summary>One line per argument, joined with '\n', so every token's line is known.</summary>
    private static string Lines(params string[] lines) => string.Join('\n', lines);

    /// <summary>A file whose single room "sale" has <paramref name="property"/> on line 5.</summary>
    private static string OneRoomWith(string property) => Lines(
        "{",
        "  \"rooms\": [",
        "    {",
        "      \"name\": \"sale\",",
        $"      {property},",
        "      \"path\": \"/sale\"",
        "    }",
        "  ]",
        "}");

    /// <summary>A file whose room "sale" has an event from 09:00 to 18:00 with <paramref name="property"/> on line 9.</summary>
    private static string OneEventWith(string property) => Lines(
        "{",
        "  \"rooms\": [",
        "    {",
        "      \"name\": \"sale\",",
        "      \"path\": \"/sale\",",
        "      \"event\": {",
        "        \"start\": \"2026-12-01T09:00:00Z\",",
        "        \"end\": \"2026-12-01T18:00:00Z\",",
        $"        {property}",
        "      }",
        "    }",
        "  ]",
        "}");

    private static (IReadOnlyList<RoomSettings> Rooms, List<string> Errors) Parse(string json)
    {
        var errors = new List<string>();
        var rooms = RoomsFileReader.Parse(json, Defaults(), errors);
        return (rooms, errors);
    }

    [Fact]
    public void Parse_TwoRoomsWithEvent_ReadsEveryProperty()
    {
        // Arrange
        var json = Lines(
            "{",
            "  \"rooms\": [",
            "    {",
            "      \"name\": \"sale\",",
            "      \"host\": \"Shop.Example.COM\",",
            "      \"path\": \"/sale\",",
            "      \"maxActive\": 500,",
            "      \"newUsersPerMinute\": 1200,",
            "      \"maxNewPerIpPerMinute\": 30,",
            "      \"activeTtl\": 90.5,",
            "      \"queueTtl\": 45,",
            "      \"admissionWindow\": 300,",
            "      \"sessionMax\": 1800,",
            "      \"queueMode\": \"Queue-All\",",
            "      \"bypassPaths\": [\"/sale/api\", \"/sale/img\"],",
            "      \"title\": \"Winter sale\",",
            "      \"message\": \"Doors open at nine.\",",
            "      \"event\": {",
            "        \"start\": \"2026-12-01T09:00:00Z\",",
            "        \"end\": \"2026-12-01T18:00:00+01:00\",",
            "        \"prequeueStart\": \"2026-12-01T08:30:00Z\",",
            "        \"shuffleAtStart\": true,",
            "        \"maxActive\": 2000,",
            "        \"newUsersPerMinute\": 600,",
            "        \"queueMode\": \"random\",",
            "        \"sessionMax\": 900,",
            "        \"title\": \"The sale is on\",",
            "        \"message\": \"Please wait for your turn.\"",
            "      }",
            "    },",
            "    {",
            "      \"name\": \"docs\",",
            "      \"host\": \"*.example.com\"",
            "    }",
            "  ]",
            "}");

        // Act
        var (rooms, errors) = Parse(json);

        // Assert
        Assert.Empty(errors);
        Assert.Equal(2, rooms.Count);
        var sale = rooms[0];
        Assert.Equal("sale", sale.Name);
        Assert.Equal("shop.example.com", sale.Host);
        Assert.Equal("/sale", sale.Path);
        Assert.Equal(500, sale.MaxActive);
        Assert.Equal(1200, sale.NewUsersPerMinute);
        Assert.Equal(30, sale.MaxNewPerIpPerMinute);
        Assert.Equal(TimeSpan.FromSeconds(90.5), sale.ActiveTtl);
        Assert.Equal(TimeSpan.FromSeconds(45), sale.QueueTtl);
        Assert.Equal(TimeSpan.FromSeconds(300), sale.AdmissionWindow);
        Assert.Equal(TimeSpan.FromSeconds(1800), sale.SessionMax);
        Assert.Equal(QueueMode.QueueAll, sale.QueueMode);
        Assert.Equal(["/sale/api", "/sale/img"], sale.BypassPaths);
        Assert.Equal("Winter sale", sale.Title);
        Assert.Equal("Doors open at nine.", sale.Message);
        var saleEvent = Assert.IsType<RoomEvent>(sale.Event);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero), saleEvent.Start);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 17, 0, 0, TimeSpan.Zero), saleEvent.End);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 8, 30, 0, TimeSpan.Zero), saleEvent.PrequeueStart);
        Assert.True(saleEvent.ShuffleAtStart);
        Assert.Equal(2000, saleEvent.MaxActive);
        Assert.Equal(600, saleEvent.NewUsersPerMinute);
        Assert.Equal(QueueMode.Random, saleEvent.QueueMode);
        Assert.Equal(TimeSpan.FromSeconds(900), saleEvent.SessionMax);
        Assert.Equal("The sale is on", saleEvent.Title);
        Assert.Equal("Please wait for your turn.", saleEvent.Message);
        var docs = rooms[1];
        Assert.Equal("docs", docs.Name);
        Assert.Equal("*.example.com", docs.Host);
        Assert.Equal("/", docs.Path);
    }

    [Fact]
    public void Parse_RoomWithoutSettings_InheritsNumbersButNotTextFromDefaults()
    {
        // Arrange
        var json = Lines(
            "{\"rooms\": [",
            "  {\"name\": \"docs\", \"path\": \"/docs\"}",
            "]}");

        // Act
        var (rooms, errors) = Parse(json);

        // Assert
        Assert.Empty(errors);
        var docs = Assert.Single(rooms);
        Assert.Equal("docs", docs.Name);
        Assert.Equal("*", docs.Host);
        Assert.Equal("/docs", docs.Path);
        Assert.Equal(77, docs.MaxActive);
        Assert.Equal(TimeSpan.FromSeconds(45), docs.ActiveTtl);
        Assert.Equal(TimeSpan.FromSeconds(30), docs.QueueTtl);
        Assert.Equal(TimeSpan.FromSeconds(90), docs.AdmissionWindow);
        Assert.Equal(QueueMode.Random, docs.QueueMode);
        Assert.Equal(11, docs.NewUsersPerMinute);
        Assert.Equal(TimeSpan.FromSeconds(600), docs.SessionMax);
        Assert.Equal(9, docs.MaxNewPerIpPerMinute);
        Assert.Null(docs.Title);
        Assert.Null(docs.Message);
        Assert.Empty(docs.BypassPaths);
        Assert.Null(docs.Event);
    }

    [Fact]
    public void Parse_EventWithoutOptionalSettings_LeavesThemToTheRoom()
    {
        // Arrange
        var json = OneEventWith("");

        // Act
        var (rooms, errors) = Parse(json);

        // Assert
        Assert.Empty(errors);
        var roomEvent = Assert.IsType<RoomEvent>(Assert.Single(rooms).Event);
        Assert.Null(roomEvent.PrequeueStart);
        Assert.False(roomEvent.ShuffleAtStart);
        Assert.Null(roomEvent.MaxActive);
        Assert.Null(roomEvent.NewUsersPerMinute);
        Assert.Null(roomEvent.QueueMode);
        Assert.Null(roomEvent.SessionMax);
        Assert.Null(roomEvent.Title);
        Assert.Null(roomEvent.Message);
    }

    [Fact]
    public void Parse_CommentsAndTrailingCommas_Accepted()
    {
        // Arrange
        var json = Lines(
            "// rooms of the shop",
            "{",
            "  \"rooms\": [",
            "    /* the sale */ {\"name\": \"sale\", \"path\": \"/sale\", \"bypassPaths\": [\"/sale/api\",],},",
            "  ],",
            "}");

        // Act
        var (rooms, errors) = Parse(json);

        // Assert
        Assert.Empty(errors);
        Assert.Equal("sale", Assert.Single(rooms).Name);
    }

    [Fact]
    public void Parse_EmptyRoomsArray_NoRoomsAndNoErrors()
    {
        // Act
        var (rooms, errors) = Parse("{\"rooms\": []}");

        // Assert
        Assert.Empty(rooms);
        Assert.Empty(errors);
    }

    [Fact]
    public void Parse_RepeatedSlashesInPath_Collapsed()
    {
        // Act
        var (rooms, errors) = Parse("{\"rooms\": [{\"name\": \"sale\", \"path\": \"//Sale//vip\"}]}");

        // Assert
        Assert.Empty(errors);
        Assert.Equal("/Sale/vip", Assert.Single(rooms).Path);
    }

    [Theory]
    [InlineData("\"maxActive\": \"500\"", "line 5: 'maxActive' must be a whole number from 1 to 10000000, got \"500\"")]
    [InlineData("\"maxActive\": 0", "line 5: 'maxActive' must be a whole number from 1 to 10000000, got 0")]
    [InlineData("\"maxActive\": 10000001", "line 5: 'maxActive' must be a whole number from 1 to 10000000, got 10000001")]
    [InlineData("\"maxActive\": 1.5", "line 5: 'maxActive' must be a whole number from 1 to 10000000, got 1.5")]
    [InlineData("\"maxActive\": null", "line 5: 'maxActive' must be a whole number from 1 to 10000000, got null")]
    [InlineData("\"newUsersPerMinute\": -1", "line 5: 'newUsersPerMinute' must be a whole number from 0 to 10000000, got -1")]
    [InlineData("\"maxNewPerIpPerMinute\": 1000001", "line 5: 'maxNewPerIpPerMinute' must be a whole number from 0 to 1000000, got 1000001")]
    [InlineData("\"activeTtl\": 0.05", "line 5: 'activeTtl' must be a number of seconds from 0.1 to 604800, got 0.05")]
    [InlineData("\"queueTtl\": 604801", "line 5: 'queueTtl' must be a number of seconds from 0.1 to 604800, got 604801")]
    [InlineData("\"admissionWindow\": \"120\"", "line 5: 'admissionWindow' must be a number of seconds from 0.1 to 604800, got \"120\"")]
    [InlineData("\"sessionMax\": 2592001", "line 5: 'sessionMax' must be a number of seconds from 0 to 2592000, got 2592001")]
    [InlineData("\"queueMode\": \"lifo\"", "line 5: 'queueMode' must be a string: one of fifo, random, passthrough, queue-all, reject, got \"lifo\"")]
    [InlineData("\"queueMode\": 1", "line 5: 'queueMode' must be a string: one of fifo, random, passthrough, queue-all, reject, got 1")]
    [InlineData("\"bypassPaths\": \"/api\"", "line 5: 'bypassPaths' must be an array of path prefixes, got \"/api\"")]
    [InlineData("\"bypassPaths\": [\"/ok\", \"api\"]", "line 5: 'bypassPaths[1]' must be a string: a path prefix starting with '/', without '..', got \"api\"")]
    [InlineData("\"bypassPaths\": [\"/a/../b\"]", "line 5: 'bypassPaths[0]' must be a string: a path prefix starting with '/', without '..', got \"/a/../b\"")]
    [InlineData("\"title\": 5", "line 5: 'title' must be a string of at most 200 characters, without control characters, got 5")]
    [InlineData("\"message\": \"one\\ntwo\"", "line 5: 'message' must be a string of at most 1000 characters, without control characters, got \"one?two\"")]
    [InlineData("\"host\": \"example.com:8080\"", "line 5: 'host' must be a string: \"*\", a host name without port (letters, digits, '-', '.') or \"*.example.com\", got \"example.com:8080\"")]
    [InlineData("\"host\": \"*example.com\"", "line 5: 'host' must be a string: \"*\", a host name without port (letters, digits, '-', '.') or \"*.example.com\", got \"*example.com\"")]
    [InlineData("\"host\": \"example..com\"", "line 5: 'host' must be a string: \"*\", a host name without port (letters, digits, '-', '.') or \"*.example.com\", got \"example..com\"")]
    [InlineData("\"host\": [\"a.example\"]", "line 5: 'host' must be a string: \"*\", a host name without port (letters, digits, '-', '.') or \"*.example.com\", got an array")]
    [InlineData("\"maxQueue\": -1", "line 5: 'maxQueue' must be a whole number from 0 to 1000000000, got -1")]
    [InlineData("\"maxQueue\": \"50\"", "line 5: 'maxQueue' must be a whole number from 0 to 1000000000, got \"50\"")]
    [InlineData("\"webhookUrl\": \"ftp://hooks.example/in\"", "line 5: 'webhookUrl' must be a string: an absolute http or https URL without credentials or fragment, got \"ftp://hooks.example/in\"")]
    [InlineData("\"webhookUrl\": \"/hooks\"", "line 5: 'webhookUrl' must be a string: an absolute http or https URL without credentials or fragment, got \"/hooks\"")]
    [InlineData("\"event\": \"tomorrow\"", "line 5: 'event' must be an object, got \"tomorrow\"")]
    [InlineData("\"maxActiv\": 500", "line 5: unknown property 'maxActiv' (did you mean 'maxActive'?); known properties: name, host, path, maxActive, newUsersPerMinute, maxNewPerIpPerMinute, maxQueue, webhookUrl, activeTtl, queueTtl, admissionWindow, sessionMax, queueMode, bypassPaths, allowCidrs, denyCidrs, title, message, event, adaptive")]
    [InlineData("\"MaxActive\": 500", "line 5: unknown property 'MaxActive' (did you mean 'maxActive'?); known properties: name, host, path, maxActive, newUsersPerMinute, maxNewPerIpPerMinute, maxQueue, webhookUrl, activeTtl, queueTtl, admissionWindow, sessionMax, queueMode, bypassPaths, allowCidrs, denyCidrs, title, message, event, adaptive")]
    [InlineData("\"colour\": \"red\"", "line 5: unknown property 'colour'; known properties: name, host, path, maxActive, newUsersPerMinute, maxNewPerIpPerMinute, maxQueue, webhookUrl, activeTtl, queueTtl, admissionWindow, sessionMax, queueMode, bypassPaths, allowCidrs, denyCidrs, title, message, event, adaptive")]
    [InlineData("\"name\": \"other\"", "line 5: duplicate property 'name' (first on line 4)")]
    public void Parse_BadRoomProperty_OneErrorOnItsLine(string property, string expected)
    {
        // Arrange
        var json = OneRoomWith(property);

        // Act
        var (rooms, errors) = Parse(json);

        // Assert
        Assert.Equal([expected], errors);
        Assert.Empty(rooms);
    }

    [Fact]
    public void Parse_AdaptiveObject_ReadsEverySetting()
    {
        // Arrange
        var json = OneRoomWith("\"adaptive\": {\"on\": true, \"min\": 10, \"targetP95\": 0.25, \"maxErrors\": 0.02, \"pinned\": 30}");

        // Act
        var (rooms, errors) = Parse(json);

        // Assert
        Assert.Empty(errors);
        Assert.Equal(new AdaptiveSettings { On = true, MinActive = 10, TargetP95 = TimeSpan.FromSeconds(0.25), MaxErrors = 0.02, Pinned = 30 }, rooms[0].Adaptive);
        var policy = rooms[0].PolicyAt(DateTimeOffset.UnixEpoch);
        Assert.True(policy.Adaptive);
        Assert.Equal((10, 77), (policy.MinActive, policy.MaxActive));
    }

    [Fact]
    public void Parse_AdaptiveTrue_TurnsItOnWithTheDefaultRoomsBoundsAndTarget()
    {
        // Arrange
        var defaults = Defaults();
        defaults.Adaptive = new AdaptiveSettings { MinActive = 4, TargetP95 = TimeSpan.FromSeconds(2), Pinned = 9 };
        var errors = new List<string>();

        // Act
        var rooms = RoomsFileReader.Parse(OneRoomWith("\"adaptive\": true"), defaults, errors);

        // Assert: the pin is the default room's own, not inherited.
        Assert.Empty(errors);
        Assert.Equal(new AdaptiveSettings { On = true, MinActive = 4, TargetP95 = TimeSpan.FromSeconds(2) }, rooms[0].Adaptive);
    }

    [Fact]
    public void Parse_NoAdaptive_IsOffAndTheCapacityIsFixed()
    {
        // Act
        var (rooms, errors) = Parse(OneRoomWith("\"maxActive\": 50"));

        // Assert
        Assert.Empty(errors);
        Assert.False(rooms[0].Adaptive.On);
        Assert.False(rooms[0].PolicyAt(DateTimeOffset.UnixEpoch).Adaptive);
    }

    [Theory]
    [InlineData("\"adaptive\": 5", "line 5: 'adaptive' must be true, false or an object with on, min, targetP95, maxErrors, pinned, got 5")]
    [InlineData("\"adaptive\": {\"on\": \"yes\"}", "line 5: 'adaptive.on' must be true or false, got \"yes\"")]
    [InlineData("\"adaptive\": {\"min\": 0}", "line 5: 'adaptive.min' must be a whole number from 1 to 10000000, got 0")]
    [InlineData("\"adaptive\": {\"targetP95\": \"1\"}", "line 5: 'adaptive.targetP95' must be a number of seconds from 0.001 to 600, got \"1\"")]
    [InlineData("\"adaptive\": {\"maxErrors\": 1.5}", "line 5: 'adaptive.maxErrors' must be a share from 0 to 1, such as 0.05 for 5 %, got 1.5")]
    [InlineData("\"adaptive\": {\"mn\": 3}", "line 5: unknown property 'adaptive.mn'; known properties: on, min, targetP95, maxErrors, pinned")]
    [InlineData("\"adaptive\": {\"on\": true, \"min\": 80}", "line 5: 'adaptive.min' 80 is above 'maxActive' (77): the adaptive capacity's lower bound must be at most its upper bound")]
    [InlineData("\"adaptive\": {\"on\": true, \"min\": 10, \"pinned\": 5}", "line 5: 'adaptive.pinned' 5 is outside the adaptive bounds 'adaptive.min' (10) to 'maxActive' (77)")]
    public void Parse_BadAdaptive_OneErrorOnItsLine(string property, string expected)
    {
        // Act
        var (rooms, errors) = Parse(OneRoomWith(property));

        // Assert
        Assert.Equal([expected], errors);
        Assert.Empty(rooms);
    }

    [Fact]
    public void Parse_AdaptiveMinBeforeALowerMaxActive_CheckedAgainstTheRoomsOwnMaxActive()
    {
        // Act: the order of the settings does not matter.
        var (_, errors) = Parse(OneRoomWith("\"adaptive\": {\"min\": 40}, \"maxActive\": 30"));

        // Assert
        Assert.Equal(["line 5: 'adaptive.min' 40 is above 'maxActive' (30): the adaptive capacity's lower bound must be at most its upper bound"], errors);
    }

    [Theory]
    [InlineData("sale")]
    [InlineData("/sa le")]
    [InlineData("/sale?x=1")]
    [InlineData("/sale#top")]
    [InlineData("/a/../sale")]
    [InlineData("/sale\\t")]
    public void Parse_BadPath_ErrorOnItsLine(string path)
    {
        // Arrange
        var json = Lines(
            "{\"rooms\": [{",
            "  \"name\": \"sale\",",
            $"  \"path\": \"{path}\"",
            "}]}");

        // Act
        var (_, errors) = Parse(json);

        // Assert
        var error = Assert.Single(errors);
        Assert.StartsWith("line 3: 'path' must be a string: a path prefix starting with '/', without '..', '?', '#', spaces or control characters, got \"", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"sale!\"", "line 4: 'name' must be a string of 1 to 40 letters, digits, '-' or '_', got \"sale!\"")]
    [InlineData("\"{sale}\"", "line 4: 'name' must be a string of 1 to 40 letters, digits, '-' or '_', got \"{sale}\"")]
    [InlineData("\"\"", "line 4: 'name' must be a string of 1 to 40 letters, digits, '-' or '_', got \"\"")]
    [InlineData("7", "line 4: 'name' must be a string of 1 to 40 letters, digits, '-' or '_', got 7")]
    [InlineData("\"a1234567890123456789012345678901234567890\"", "line 4: 'name' must be a string of 1 to 40 letters, digits, '-' or '_', got \"a1234567890123456789012345678901234567890\"")]
    [InlineData("\"default\"", "line 4: 'name' cannot be \"default\": the default room is set by the WR_* variables")]
    [InlineData("\"Default\"", "line 4: 'name' cannot be \"Default\": the default room is set by the WR_* variables")]
    public void Parse_BadName_ErrorOnItsLine(string name, string expected)
    {
        // Arrange
        var json = Lines(
            "{",
            "  \"rooms\": [",
            "    {",
            $"      \"name\": {name},",
            "      \"path\": \"/sale\"",
            "    }",
            "  ]",
            "}");

        // Act
        var (_, errors) = Parse(json);

        // Assert
        Assert.Equal([expected], errors);
    }

    [Fact]
    public void Parse_NameOfFortyCharacters_Accepted()
    {
        // Arrange
        var name = new string('a', 39) + "_";

        // Act
        var (rooms, errors) = Parse($"{{\"rooms\": [{{\"name\": \"{name}\", \"path\": \"/a\"}}]}}");

        // Assert
        Assert.Empty(errors);
        Assert.Equal(name, Assert.Single(rooms).Name);
    }

    [Fact]
    public void Parse_TitleLongerThan200Characters_ErrorWithValueCut()
    {
        // Arrange
        var json = OneRoomWith($"\"title\": \"{new string('t', 201)}\"");

        // Act
        var (_, errors) = Parse(json);

        // Assert
        Assert.Equal([$"line 5: 'title' must be a string of at most 200 characters, without control characters, got \"{new string('t', 57)}...\""], errors);
    }

    [Fact]
    public void Parse_TitleOf200Characters_Accepted()
    {
        // Arrange
        var json = OneRoomWith($"\"title\": \"{new string('t', 200)}\"");

        // Act
        var (rooms, errors) = Parse(json);

        // Assert
        Assert.Empty(errors);
        Assert.Equal(200, Assert.Single(rooms).Title?.Length);
    }

    [Fact]
    public void Parse_MissingName_ErrorOnLineOfTheRoomsBrace()
    {
        // Arrange
        var json = Lines(
            "{",
            "  \"rooms\": [",
            "    {",
            "      \"path\": \"/sale\"",
            "    }",
            "  ]",
            "}");

        // Act
        var (_, errors) = Parse(json);

        // Assert
        Assert.Equal(["line 3: missing property 'name'"], errors);
    }

    [Fact]
    public void Parse_SameNameInAnotherCase_ErrorOnSecondName()
    {
        // Arrange
        var json = Lines(
            "{\"rooms\": [",
            "  {\"name\": \"sale\", \"path\": \"/a\"},",
            "  {\"name\": \"SALE\", \"path\": \"/b\"}",
            "]}");

        // Act
        var (rooms, errors) = Parse(json);

        // Assert
        Assert.Equal(["line 3: 'name' \"SALE\" is already used by the room on line 2 (names are compared case-insensitively)"], errors);
        Assert.Empty(rooms);
    }

    [Fact]
    public void Parse_SameHostAndPathInAnotherCase_ErrorOnSecondRoom()
    {
        // Arrange
        var json = Lines(
            "{\"rooms\": [",
            "  {\"name\": \"a\", \"host\": \"shop.example.com\", \"path\": \"/sale\"},",
            "  {",
            "    \"name\": \"b\",",
            "    \"host\": \"SHOP.example.com\",",
            "    \"path\": \"/Sale\"",
            "  }",
            "]}");

        // Act
        var (_, errors) = Parse(json);

        // Assert
        Assert.Equal(["line 3: host \"shop.example.com\" and path \"/Sale\" are already used by the room on line 2"], errors);
    }

    [Fact]
    public void Parse_SamePathOnDifferentHosts_Accepted()
    {
        // Arrange
        var json = Lines(
            "{\"rooms\": [",
            "  {\"name\": \"a\", \"host\": \"a.example.com\", \"path\": \"/sale\"},",
            "  {\"name\": \"b\", \"host\": \"b.example.com\", \"path\": \"/sale\"},",
            "  {\"name\": \"c\", \"path\": \"/sale\"}",
            "]}");

        // Act
        var (rooms, errors) = Parse(json);

        // Assert
        Assert.Empty(errors);
        Assert.Equal(3, rooms.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData(", \"host\": \"*\"")]
    [InlineData(", \"path\": \"/\"")]
    [InlineData(", \"path\": \"//\"")]
    public void Parse_RoomForEveryHostAndPath_ErrorOnLineOfTheRoomsBrace(string match)
    {
        // Arrange
        var json = Lines(
            "{",
            "  \"rooms\": [",
            $"    {{\"name\": \"all\"{match}}}",
            "  ]",
            "}");

        // Act
        var (_, errors) = Parse(json);

        // Assert
        Assert.Equal(["line 3: a room with host \"*\" and path \"/\" would take every request from the default room: give it a 'host' or a 'path' (the default room is set by the WR_* variables)"], errors);
    }

    [Theory]
    [InlineData("\"prequeueStart\": \"2026-12-01T10:00:00Z\"", "line 9: 'event.prequeueStart' must be before 'event.start'")]
    [InlineData("\"prequeueStart\": \"2026-12-01T09:00:00Z\"", "line 9: 'event.prequeueStart' must be before 'event.start'")]
    [InlineData("\"prequeueStart\": \"2026-12-01T08:00:00\"", "line 9: 'event.prequeueStart' \"2026-12-01T08:00:00\" has no offset: add Z or an offset, such as \"2026-12-01T09:00:00Z\" or \"2026-12-01T10:00:00+01:00\"")]
    [InlineData("\"shuffleAtStart\": true", "line 9: 'event.shuffleAtStart' is true but there is no 'event.prequeueStart': without a pre-queue there is nobody to shuffle at the start")]
    [InlineData("\"shuffleAtStart\": \"yes\"", "line 9: 'event.shuffleAtStart' must be true or false, got \"yes\"")]
    [InlineData("\"maxActive\": 0", "line 9: 'event.maxActive' must be a whole number from 1 to 10000000, got 0")]
    [InlineData("\"newUsersPerMinute\": \"fast\"", "line 9: 'event.newUsersPerMinute' must be a whole number from 0 to 10000000, got \"fast\"")]
    [InlineData("\"queueMode\": \"draw\"", "line 9: 'event.queueMode' must be a string: one of fifo, random, passthrough, queue-all, reject, got \"draw\"")]
    [InlineData("\"sessionMax\": -1", "line 9: 'event.sessionMax' must be a number of seconds from 0 to 2592000, got -1")]
    [InlineData("\"title\": false", "line 9: 'event.title' must be a string of at most 200 characters, without control characters, got false")]
    [InlineData("\"message\": {}", "line 9: 'event.message' must be a string of at most 1000 characters, without control characters, got an object")]
    [InlineData("\"strat\": \"2026-12-01T09:00:00Z\"", "line 9: unknown property 'event.strat' (did you mean 'start'?); known properties: start, end, prequeueStart, shuffleAtStart, maxActive, newUsersPerMinute, queueMode, sessionMax, title, message")]
    [InlineData("\"start\": \"2026-12-01T10:00:00Z\"", "line 9: duplicate property 'start' (first on line 7)")]
    public void Parse_BadEventProperty_OneErrorOnItsLine(string property, string expected)
    {
        // Arrange
        var json = OneEventWith(property);

        // Act
        var (rooms, errors) = Parse(json);

        // Assert
        Assert.Equal([expected], errors);
        Assert.Empty(rooms);
    }

    [Fact]
    public void Parse_EventEndingBeforeItStarts_ErrorOnEnd()
    {
        // Arrange
        var json = Lines(
            "{\"rooms\": [{",
            "  \"name\": \"sale\", \"path\": \"/sale\",",
            "  \"event\": {",
            "    \"start\": \"2026-12-01T09:00:00Z\",",
            "    \"end\": \"2026-12-01T09:30:00+01:00\"",
            "  }",
            "}]}");

        // Act
        var (_, errors) = Parse(json);

        // Assert
        Assert.Equal(["line 5: 'event.end' must be after 'event.start'"], errors);
    }

    [Fact]
    public void Parse_EventWithoutStartAndEnd_ErrorsOnLineOfTheEventsBrace()
    {
        // Arrange
        var json = Lines(
            "{\"rooms\": [{",
            "  \"name\": \"sale\", \"path\": \"/sale\",",
            "  \"event\": {",
            "    \"maxActive\": 10",
            "  }",
            "}]}");

        // Act
        var (_, errors) = Parse(json);

        // Assert
        Assert.Equal(["line 3: missing property 'event.start'", "line 3: missing property 'event.end'"], errors);
    }

    [Fact]
    public void Parse_EventTimesNotTimes_ErrorOnEach()
    {
        // Arrange
        var json = Lines(
            "{\"rooms\": [{",
            "  \"name\": \"sale\", \"path\": \"/sale\",",
            "  \"event\": {",
            "    \"start\": \"tomorrow\",",
            "    \"end\": 1764579600",
            "  }",
            "}]}");

        // Act
        var (_, errors) = Parse(json);

        // Assert
        Assert.Equal(
        [
            "line 4: 'event.start' must be a string: an ISO 8601 time with an offset or Z, such as \"2026-12-01T09:00:00Z\", got \"tomorrow\"",
            "line 5: 'event.end' must be a string: an ISO 8601 time with an offset or Z, such as \"2026-12-01T09:00:00Z\", got 1764579600",
        ], errors);
    }

    [Fact]
    public void Parse_SeveralProblems_AllReportedInLineOrder()
    {
        // Arrange
        var json = Lines(
            "{",
            "  \"rooms\": [",
            "    {",
            "      \"name\": \"sale\",",
            "      \"path\": \"/sale\",",
            "      \"maxActive\": \"500\",",
            "      \"queueMode\": \"lifo\"",
            "    },",
            "    {",
            "      \"name\": \"Sale\",",
            "      \"path\": \"/sale\",",
            "      \"maxActiv\": 5",
            "    },",
            "    {",
            "      \"host\": \"a.example.com\"",
            "    }",
            "  ],",
            "  \"version\": 2",
            "}");

        // Act
        var (rooms, errors) = Parse(json);

        // Assert
        Assert.Equal(
        [
            "line 6: 'maxActive' must be a whole number from 1 to 10000000, got \"500\"",
            "line 7: 'queueMode' must be a string: one of fifo, random, passthrough, queue-all, reject, got \"lifo\"",
            "line 9: host \"*\" and path \"/sale\" are already used by the room on line 3",
            "line 10: 'name' \"Sale\" is already used by the room on line 4 (names are compared case-insensitively)",
            "line 12: unknown property 'maxActiv' (did you mean 'maxActive'?); known properties: name, host, path, maxActive, newUsersPerMinute, maxNewPerIpPerMinute, maxQueue, webhookUrl, activeTtl, queueTtl, admissionWindow, sessionMax, queueMode, bypassPaths, allowCidrs, denyCidrs, title, message, event, adaptive",
            "line 14: missing property 'name'",
            "line 18: unknown property 'version'; known properties: rooms",
        ], errors);
        Assert.Empty(rooms);
    }

    [Fact]
    public void Parse_SyntaxError_OnlyTheSyntaxErrorWithItsLine()
    {
        // Arrange
        var json = Lines(
            "{",
            "  \"rooms\": [",
            "    {",
            "      \"name\": \"sale\",",
            "      \"maxActive\": \"500\",",
            "      \"path\": \"/sale\"",
            "    }",
            "    {\"name\": \"docs\"}",
            "  ]",
            "}");

        // Act
        var (rooms, errors) = Parse(json);

        // Assert
        var error = Assert.Single(errors);
        Assert.StartsWith("line 8: invalid JSON: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", error, StringComparison.Ordinal);
        Assert.Empty(rooms);
    }

    [Theory]
    [InlineData("", 1)]
    [InlineData("\n// nothing but a comment\n", 3)]
    [InlineData("{\"rooms\": []}\n{\"rooms\": []}", 2)]
    [InlineData("{\"rooms\": [\n\n", 3)]
    [InlineData("{\n\"rooms\": [tru]}", 2)]
    [InlineData("{\"rooms\": [{\"name\": \"\\ud800\"}]}", 1)]
    public void Parse_NotJson_InvalidJsonErrorOnItsLine(string json, int line)
    {
        // Act
        var (_, errors) = Parse(json);

        // Assert
        var error = Assert.Single(errors);
        Assert.StartsWith($"line {line}: invalid JSON: ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]", "line 1: the file must be an object with the property 'rooms', got an array")]
    [InlineData("\n\"rooms\"", "line 2: the file must be an object with the property 'rooms', got \"rooms\"")]
    [InlineData("{\n}", "line 1: missing property 'rooms'")]
    [InlineData("{\n\"rooms\": {}\n}", "line 2: 'rooms' must be an array of room objects, got an object")]
    [InlineData("{\"rooms\": [\n\"sale\"\n]}", "line 2: 'rooms[0]' must be a room object, got \"sale\"")]
    [InlineData("{\"rooms\": [],\n\"room\": []}", "line 2: unknown property 'room' (did you mean 'rooms'?); known properties: rooms")]
    [InlineData("{\"rooms\": [],\n\"rooms\": []}", "line 2: duplicate property 'rooms' (first on line 1)")]
    public void Parse_BadTopLevel_ErrorOnItsLine(string json, string expected)
    {
        // Act
        var (rooms, errors) = Parse(json);

        // Assert
        Assert.Equal([expected], errors);
        Assert.Empty(rooms);
    }

    [Fact]
    public void Read_MissingFile_OneErrorWithoutLine()
    {
        // Arrange
        var path = Path.Combine(Path.GetTempPath(), $"wr-rooms-{Guid.NewGuid():N}.json");
        var errors = new List<string>();

        // Act
        var rooms = RoomsFileReader.Read(path, Defaults(), errors);

        // Assert
        var error = Assert.Single(errors);
        Assert.StartsWith("cannot be read: ", error, StringComparison.Ordinal);
        Assert.Empty(rooms);
    }

    [Fact]
    public void Read_ExistingFile_ReadsItsRooms()
    {
        // Arrange
        var path = Path.Combine(Path.GetTempPath(), $"wr-rooms-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "\uFEFF{\"rooms\": [{\"name\": \"sale\", \"path\": \"/sale\", \"maxActive\": 5}]}\n");
        var errors = new List<string>();

        try
        {
            // Act
            var rooms = RoomsFileReader.Read(path, Defaults(), errors);

            // Assert
            Assert.Empty(errors);
            var room = Assert.Single(rooms);
            Assert.Equal("sale", room.Name);
            Assert.Equal(5, room.MaxActive);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("2026-12-01T09:00:00Z", "2026-12-01T09:00:00+00:00")]
    [InlineData("2026-12-01T09:00Z", "2026-12-01T09:00:00+00:00")]
    [InlineData("2026-12-01T09:00:00.250Z", "2026-12-01T09:00:00.250+00:00")]
    [InlineData("2026-12-01T10:00:00+01:00", "2026-12-01T10:00:00+01:00")]
    [InlineData("2026-12-01T04:00:00-05:00", "2026-12-01T04:00:00-05:00")]
    public void TryParseTime_TimeWithOffset_Parsed(string text, string expected)
    {
        // Act
        var parsed = RoomsFileReader.TryParseTime(text, out var time);

        // Assert
        Assert.True(parsed);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), time);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture).Offset, time.Offset);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2026-12-01T09:00:00")]
    [InlineData("2026-12-01")]
    [InlineData("2026-12-01 09:00:00Z")]
    [InlineData("12/01/2026 09:00:00 +00:00")]
    [InlineData("2026-13-01T09:00:00Z")]
    [InlineData("tomorrow")]
    public void TryParseTime_NoOffsetOrNotIso_False(string text)
    {
        // Act
        var parsed = RoomsFileReader.TryParseTime(text, out _);

        // Assert
        Assert.False(parsed);
    }
}
