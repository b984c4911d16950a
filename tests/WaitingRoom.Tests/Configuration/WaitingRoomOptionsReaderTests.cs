using Microsoft.Extensions.Configuration;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Configuration;

public sealed class WaitingRoomOptionsReaderTests
{
    private static IConfiguration Configuration(params (string Name, string? Value)[] variables)
    {
        var values = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.OrdinalIgnoreCase);
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    private static WaitingRoomConfigurationException ReadFails(params (string Name, string? Value)[] variables)
    {
        var configuration = Configuration(variables);
        return Assert.Throws<WaitingRoomConfigurationException>(() => WaitingRoomOptionsReader.Read(configuration));
    }

    private static string[] LinesOf(string message) => message.Replace("\r", "", StringComparison.Ordinal).Split('\n');

    [Fact]
    public void Read_AdaptiveVariables_SetTheDefaultRoomsAdaptiveCapacity()
    {
        // Arrange
        var configuration = Configuration(("WR_ADAPTIVE", "on"), ("WR_MIN_ACTIVE", "5"), ("WR_MAX_ACTIVE", "300"), ("WR_ADAPTIVE_TARGET_P95", "0.4"), ("WR_ADAPTIVE_MAX_ERRORS", "0.1"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal(new WaitingRoom.Rooms.AdaptiveSettings { On = true, MinActive = 5, TargetP95 = TimeSpan.FromSeconds(0.4), MaxErrors = 0.1 }, options.DefaultRoom.Adaptive);
        var policy = options.DefaultRoom.PolicyAt(DateTimeOffset.UnixEpoch);
        Assert.Equal((true, 5, 300), (policy.Adaptive, policy.MinActive, policy.MaxActive));
    }

    [Fact]
    public void Read_NoAdaptiveVariables_OffWithTheSpecDefaults()
    {
        // Act
        var options = WaitingRoomOptionsReader.Read(Configuration());

        // Assert
        Assert.Equal(new WaitingRoom.Rooms.AdaptiveSettings { On = false, MinActive = 1, TargetP95 = TimeSpan.FromSeconds(1), MaxErrors = 0.05 }, options.DefaultRoom.Adaptive);
        Assert.False(options.DefaultRoom.PolicyAt(DateTimeOffset.UnixEpoch).Adaptive);
    }

    [Theory]
    [InlineData("WR_ADAPTIVE", "maybe", "WR_ADAPTIVE='maybe' is not valid: expected true or false.")]
    [InlineData("WR_MIN_ACTIVE", "0", "WR_MIN_ACTIVE='0' is not valid: expected a whole number from 1 to 10000000.")]
    [InlineData("WR_MIN_ACTIVE", "150", "WR_MIN_ACTIVE='150' is above WR_MAX_ACTIVE (100): the adaptive capacity's lower bound must be at most its upper bound.")]
    [InlineData("WR_ADAPTIVE_TARGET_P95", "0", "WR_ADAPTIVE_TARGET_P95='0' is not valid: expected a number of seconds from 0.001 to 600.")]
    [InlineData("WR_ADAPTIVE_MAX_ERRORS", "5%", "WR_ADAPTIVE_MAX_ERRORS='5%' is not valid: expected a share from 0 to 1, such as 0.05 for 5 %.")]
    public void Read_BadAdaptiveVariable_OneLineNamingIt(string name, string value, string expected)
    {
        // Act
        var error = name == "WR_ADAPTIVE" ? ReadFails((name, value)) : ReadFails(("WR_ADAPTIVE", "on"), (name, value));

        // Assert
        Assert.Equal([expected], error.Errors);
    }

    [Fact]
    public void Read_NoVariables_UsesSpecDefaults()
    {
        // Arrange
        var configuration = Configuration();

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal(100, options.MaxActive);
        Assert.Equal(TimeSpan.FromSeconds(60), options.ActiveTtl);
        Assert.Equal(TimeSpan.FromSeconds(2), options.ReleaseInterval);
        Assert.Equal("wr_token", options.CookieName);
        Assert.Null(options.RedisHost);
        Assert.Equal(6379, options.RedisPort);
        Assert.Null(options.RedisPassword);
        Assert.False(options.RedisSsl);
        Assert.Equal(0, options.RedisDatabase);
        Assert.Equal("wr", options.KeyPrefix);
        Assert.Empty(options.BackendUrls);
        Assert.Equal("/", options.MainUrl);
        Assert.Null(options.Secret);
        Assert.Equal(TimeSpan.FromSeconds(300), options.QueueTtl);
        Assert.Equal(TimeSpan.FromSeconds(120), options.AdmissionWindow);
        Assert.Empty(options.BypassPaths);
        Assert.Null(options.BypassHeaderName);
        Assert.Null(options.BypassHeaderValue);
        Assert.Equal(FailureMode.Closed, options.FailureMode);
        Assert.Null(options.Port);
        Assert.Null(options.QueuePage);
        Assert.Equal("RoundRobin", options.LoadBalancingPolicy);
        Assert.Null(options.HealthCheckPath);
        Assert.False(options.Sticky);
        Assert.Equal(TimeSpan.FromSeconds(100), options.BackendTimeout);
        Assert.True(options.UsesInMemoryStore);
    }

    [Fact]
    public void Read_EmptyAndBlankValues_TreatedAsUnset()
    {
        // Arrange
        var configuration = Configuration(("WR_MAX_ACTIVE", ""), ("WR_COOKIE_NAME", "   "), ("WR_REDIS_HOST", " "), ("WR_SECRET", ""));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal(100, options.MaxActive);
        Assert.Equal("wr_token", options.CookieName);
        Assert.True(options.UsesInMemoryStore);
        Assert.Null(options.Secret);
    }

    [Theory]
    [InlineData("WR_MAX_ACTIVE", "abc")]
    [InlineData("WR_MAX_ACTIVE", "-1")]
    [InlineData("WR_MAX_ACTIVE", "0")]
    [InlineData("WR_MAX_ACTIVE", "1.5")]
    [InlineData("WR_MAX_ACTIVE", "+5")]
    [InlineData("WR_MAX_ACTIVE", "1e3")]
    [InlineData("WR_MAX_ACTIVE", "99999999999")]
    [InlineData("WR_ACTIVE_TTL", "-5")]
    [InlineData("WR_ACTIVE_TTL", "x")]
    [InlineData("WR_ACTIVE_TTL", "0")]
    [InlineData("WR_ACTIVE_TTL", "1,5")]
    [InlineData("WR_ACTIVE_TTL", "NaN")]
    [InlineData("WR_ACTIVE_TTL", "Infinity")]
    [InlineData("WR_RELEASE_INTERVAL", "0")]
    [InlineData("WR_RELEASE_INTERVAL", "1e3")]
    [InlineData("WR_RELEASE_INTERVAL", "3601")]
    [InlineData("WR_COOKIE_NAME", "a b")]
    [InlineData("WR_COOKIE_NAME", "x;y")]
    [InlineData("WR_COOKIE_NAME", "a=b")]
    [InlineData("WR_REDIS_PORT", "70000")]
    [InlineData("WR_REDIS_PORT", "0")]
    [InlineData("WR_REDIS_PORT", "redis")]
    [InlineData("WR_REDIS_HOST", "redis.example/0")]
    [InlineData("WR_BACKEND_URL", "ftp://x")]
    [InlineData("WR_BACKEND_URL", "not a url")]
    [InlineData("WR_BACKEND_URL", "http://h?q=1")]
    [InlineData("WR_BACKEND_URL", "http://h/#frag")]
    [InlineData("WR_BACKEND_URL", "http://good.example, backend:8080")]
    [InlineData("WR_BACKEND_URL", "/relative")]
    [InlineData("WR_MAIN_URL", "//evil.example")]
    [InlineData("WR_MAIN_URL", "/\\evil.example")]
    [InlineData("WR_MAIN_URL", "evil.example/shop")]
    [InlineData("WR_MAIN_URL", "javascript:alert(1)")]
    [InlineData("WR_MAIN_URL", "ftp://files.example/")]
    [InlineData("WR_QUEUE_TTL", "abc")]
    [InlineData("WR_QUEUE_TTL", "0")]
    [InlineData("WR_ADMISSION_WINDOW", "0")]
    [InlineData("WR_ADMISSION_WINDOW", "-1")]
    [InlineData("WR_FAILURE_MODE", "maybe")]
    [InlineData("WR_PORT", "99999")]
    [InlineData("WR_PORT", "-1")]
    [InlineData("WR_PORT", "http")]
    [InlineData("WR_QUEUE_MODE", "lifo")]
    [InlineData("WR_LOAD_BALANCING", "fastest")]
    [InlineData("WR_LOAD_BALANCING", "RoundRobin")]
    [InlineData("WR_STICKY", "perhaps")]
    [InlineData("WR_BACKEND_TIMEOUT", "0")]
    [InlineData("WR_BACKEND_TIMEOUT", "3601")]
    [InlineData("WR_BYPASS_PATHS", "noslash")]
    [InlineData("WR_BYPASS_PATHS", "/health, static")]
    [InlineData("WR_BYPASS_PATHS", "/static/../admin")]
    [InlineData("WR_HEALTH_CHECK_PATH", "health")]
    [InlineData("WR_REDIS_USER", "two words")]
    [InlineData("WR_REDIS_KEY_PREFIX", "a{b}")]
    [InlineData("WR_REDIS_KEY_PREFIX", "a:b")]
    [InlineData("WR_NEW_USERS_PER_MINUTE", "-3")]
    [InlineData("WR_SESSION_MAX", "abc")]
    public void Read_BadValue_ThrowsOneLineNamingVariableAndValue(string name, string value)
    {
        // Arrange & Act
        var exception = ReadFails((name, value));

        // Assert
        var line = Assert.Single(exception.Errors);
        Assert.StartsWith(name + "=", line, StringComparison.Ordinal);
        Assert.Contains(value.Trim(), line, StringComparison.Ordinal);
        Assert.Contains("is not valid", line, StringComparison.Ordinal);
        Assert.Single(LinesOf(exception.Message));
        Assert.Equal(line, exception.Message);
    }

    [Theory]
    [InlineData("WR_SECRET", "hunter2", "hunter2")]
    [InlineData("WR_SECRET", "0123456789abcde", "0123456789abcde")]
    [InlineData("WR_REDIS_URL", "http://x", "http://x")]
    [InlineData("WR_REDIS_URL", "ftp://:hunter2pw@redis.example", "hunter2pw")]
    [InlineData("WR_REDIS_URL", "redis://:hunter2pw@redis.example:notaport", "hunter2pw")]
    [InlineData("WR_REDIS_URL", "redis://:hunter2pw@redis.example/99", "hunter2pw")]
    [InlineData("WR_BYPASS_HEADER", "nocolon", "nocolon")]
    [InlineData("WR_BYPASS_HEADER", "X-Bypass:hunt2", "hunt2")]
    [InlineData("WR_BYPASS_HEADER", "X Bypass:hunter2secret", "hunter2secret")]
    [InlineData("WR_BYPASS_HEADER", ":hunter2secret", "hunter2secret")]
    [InlineData("WR_ADMIN_TOKEN", "hunter2 admin token", "hunter2 admin token")]
    public void Read_BadSecretValue_ThrowsOneLineNamingVariableWithoutEchoingSecret(string name, string value, string secret)
    {
        // Arrange & Act
        var exception = ReadFails((name, value));

        // Assert
        var line = Assert.Single(exception.Errors);
        Assert.StartsWith(name + "=", line, StringComparison.Ordinal);
        Assert.Contains("(hidden", line, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, exception.Message, StringComparison.Ordinal);
        Assert.Single(LinesOf(exception.Message));
    }

    [Fact]
    public void Read_TwoBadVariables_ThrowsTwoLinesOnePerVariable()
    {
        // Arrange & Act
        var exception = ReadFails(("WR_MAX_ACTIVE", "abc"), ("WR_PORT", "99999"));

        // Assert
        var lines = LinesOf(exception.Message);
        Assert.Equal(2, lines.Length);
        Assert.Equal(2, exception.Errors.Count);
        Assert.Contains("WR_MAX_ACTIVE='abc'", lines[0], StringComparison.Ordinal);
        Assert.Contains("WR_PORT='99999'", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ManyBadVariables_ThrowsOneLinePerVariable()
    {
        // Arrange & Act
        var exception = ReadFails(
            ("WR_MAX_ACTIVE", "abc"),
            ("WR_ACTIVE_TTL", "x"),
            ("WR_COOKIE_NAME", "a b"),
            ("WR_SECRET", "short"),
            ("WR_FAILURE_MODE", "maybe"),
            ("WR_REDIS_USER", "two words"),
            ("WR_ROOMS_FILE", "rooms.json"));

        // Assert
        var lines = LinesOf(exception.Message);
        Assert.Equal(7, lines.Length);
        foreach (var name in new[] { "WR_MAX_ACTIVE", "WR_ACTIVE_TTL", "WR_COOKIE_NAME", "WR_SECRET", "WR_FAILURE_MODE", "WR_REDIS_USER", "WR_ROOMS_FILE" })
        {
            Assert.Single(lines, l => l.StartsWith(name + "=", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Read_BadValueWithLineBreak_StillOneLine()
    {
        // Arrange & Act
        var exception = ReadFails(("WR_MAX_ACTIVE", "10\n20"));

        // Assert
        Assert.Single(exception.Errors);
        Assert.Single(LinesOf(exception.Message));
    }

    [Theory]
    [InlineData("WR_BACKEND_URL", "http://user:hunter2pw@backend.example/")]
    [InlineData("WR_REDIS_HOST", "redis://:hunter2pw@redis.example")]
    public void Read_RefusedValueWithCredentials_DoesNotEchoPassword(string name, string value)
    {
        // Arrange & Act
        var exception = ReadFails((name, value));

        // Assert
        Assert.Contains(name, exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2pw", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RedisUrlWithUserName_UserAndPasswordTaken()
    {
        // Arrange
        var configuration = Configuration(("WR_REDIS_URL", "redis://alice:pw123456@redis.example:6379"), ("WR_REDIS_USER", "bob"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal("alice", options.RedisUser);
        Assert.Equal("pw123456", options.RedisPassword);
    }

    [Fact]
    public void Read_RedisSentinel_HostListsSentinelsOnTheirPort()
    {
        // Arrange
        var configuration = Configuration(("WR_REDIS_SENTINEL", "mymaster"), ("WR_REDIS_HOST", "s1,s2:26380"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal("mymaster", options.RedisSentinel);
        Assert.Equal([26379, 26380], options.RedisEndpoints.Select(e => e.Port));
    }

    [Theory]
    [InlineData("my master")]
    [InlineData("")]
    public void Read_RedisSentinelBadOrWithoutHost_ErrorNamesSentinel(string name)
    {
        // Arrange & Act
        var exception = name.Length == 0 ? ReadFails(("WR_REDIS_SENTINEL", "mymaster")) : ReadFails(("WR_REDIS_SENTINEL", name), ("WR_REDIS_HOST", "s1"));

        // Assert
        var line = Assert.Single(exception.Errors);
        Assert.StartsWith("WR_REDIS_SENTINEL=", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RedisUrlAndHostBothSet_Throws()
    {
        // Arrange & Act
        var exception = ReadFails(("WR_REDIS_URL", "redis://:hunter2pw@redis.example"), ("WR_REDIS_HOST", "other.example"));

        // Assert
        var line = Assert.Single(exception.Errors);
        Assert.Contains("WR_REDIS_URL", line, StringComparison.Ordinal);
        Assert.Contains("WR_REDIS_HOST='other.example'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2pw", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_GoodValues_Parsed()
    {
        // Arrange
        var configuration = Configuration(
            ("WR_MAX_ACTIVE", " 250 "),
            ("WR_ACTIVE_TTL", "1.5"),
            ("WR_RELEASE_INTERVAL", "0.5"),
            ("WR_COOKIE_NAME", "my-room.token_1"),
            ("WR_MAIN_URL", "https://shop.example/start"),
            ("WR_SECRET", "0123456789abcdef"),
            ("WR_QUEUE_TTL", "30"),
            ("WR_ADMISSION_WINDOW", "45"),
            ("WR_FAILURE_MODE", "OPEN"),
            ("WR_PORT", "0"),
            ("WR_QUEUE_MODE", "FIFO"),
            ("WR_LOAD_BALANCING", "least-requests"),
            ("WR_STICKY", "yes"),
            ("WR_BACKEND_TIMEOUT", "30"),
            ("WR_HEALTH_CHECK_PATH", "/healthz"),
            ("WR_QUEUE_PAGE", QueuePageFile),
            ("WR_REDIS_KEY_PREFIX", "shop-1"),
            ("WR_NEW_USERS_PER_MINUTE", "0"),
            ("WR_SESSION_MAX", "0"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal(250, options.MaxActive);
        Assert.Equal(TimeSpan.FromSeconds(1.5), options.ActiveTtl);
        Assert.Equal(TimeSpan.FromSeconds(0.5), options.ReleaseInterval);
        Assert.Equal("my-room.token_1", options.CookieName);
        Assert.Equal("https://shop.example/start", options.MainUrl);
        Assert.Equal("0123456789abcdef", options.Secret);
        Assert.Equal(TimeSpan.FromSeconds(30), options.QueueTtl);
        Assert.Equal(TimeSpan.FromSeconds(45), options.AdmissionWindow);
        Assert.Equal(FailureMode.Open, options.FailureMode);
        Assert.Equal(0, options.Port);
        Assert.Equal("LeastRequests", options.LoadBalancingPolicy);
        Assert.True(options.Sticky);
        Assert.Equal(TimeSpan.FromSeconds(30), options.BackendTimeout);
        Assert.Equal("/healthz", options.HealthCheckPath);
        Assert.Equal(QueuePageFile, options.QueuePage);
        Assert.Equal("shop-1", options.KeyPrefix);
    }

    [Theory]
    [InlineData("round-robin", "RoundRobin")]
    [InlineData("least-requests", "LeastRequests")]
    [InlineData("power-of-two-choices", "PowerOfTwoChoices")]
    [InlineData("Random", "Random")]
    public void Read_LoadBalancing_MapsToYarpPolicyName(string value, string expected)
    {
        // Arrange
        var configuration = Configuration(("WR_LOAD_BALANCING", value));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal(expected, options.LoadBalancingPolicy);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData("ON", true)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("no", false)]
    public void Read_Sticky_AcceptsCommonBooleanWords(string value, bool expected)
    {
        // Arrange
        var configuration = Configuration(("WR_STICKY", value));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal(expected, options.Sticky);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/shop?x=1")]
    [InlineData("http://shop.example/")]
    public void Read_MainUrlLocalPathOrHttpUrl_Accepted(string value)
    {
        // Arrange
        var configuration = Configuration(("WR_MAIN_URL", value));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal(value, options.MainUrl);
    }

    [Fact]
    public void Read_TwoBackendUrls_BothParsedInOrder()
    {
        // Arrange
        var configuration = Configuration(("WR_BACKEND_URL", "http://app1.internal:8080, https://app2.internal/base/"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal([new Uri("http://app1.internal:8080"), new Uri("https://app2.internal/base/")], options.BackendUrls);
    }

    [Fact]
    public void Read_RedissUrlWithEscapedPassword_ParsesEveryPart()
    {
        // Arrange
        var configuration = Configuration(("WR_REDIS_URL", "rediss://:p%40ss@redis.example:6380/2"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal("redis.example", options.RedisHost);
        Assert.Equal(6380, options.RedisPort);
        Assert.True(options.RedisSsl);
        Assert.Equal("p@ss", options.RedisPassword);
        Assert.Equal(2, options.RedisDatabase);
        Assert.False(options.UsesInMemoryStore);
    }

    [Fact]
    public void Read_RedisUrlWithoutPort_UsesDefaultPortAndNoTls()
    {
        // Arrange
        var configuration = Configuration(("WR_REDIS_URL", "redis://redis.example"), ("WR_REDIS_PASS", "from-pass-variable"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal("redis.example", options.RedisHost);
        Assert.Equal(6379, options.RedisPort);
        Assert.False(options.RedisSsl);
        Assert.Equal("from-pass-variable", options.RedisPassword);
        Assert.Equal(0, options.RedisDatabase);
    }

    [Fact]
    public void Read_RedisHostPortAndPass_Parsed()
    {
        // Arrange
        var configuration = Configuration(("WR_REDIS_HOST", "redis.internal"), ("WR_REDIS_PORT", "6390"), ("WR_REDIS_PASS", "s3cret"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal("redis.internal", options.RedisHost);
        Assert.Equal(6390, options.RedisPort);
        Assert.Equal("s3cret", options.RedisPassword);
        Assert.False(options.UsesInMemoryStore);
    }

    [Theory]
    [InlineData("default")]
    [InlineData("")]
    [InlineData("alice")]
    public void Read_RedisUserDefaultOrEmpty_Accepted(string user)
    {
        // Arrange
        var configuration = Configuration(("WR_REDIS_HOST", "redis.internal"), ("WR_REDIS_USER", user));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal("redis.internal", options.RedisHost);
    }

    [Fact]
    public void Read_RedisUrlWithDefaultUser_Accepted()
    {
        // Arrange
        var configuration = Configuration(("WR_REDIS_URL", "redis://default:pw123456@redis.example:6379/0"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal("pw123456", options.RedisPassword);
        Assert.Equal(6379, options.RedisPort);
    }

    [Fact]
    public void Read_BypassPaths_SplitAndTrimmed()
    {
        // Arrange
        var configuration = Configuration(("WR_BYPASS_PATHS", "/health, /static/"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal(["/health", "/static/"], options.BypassPaths);
    }

    [Fact]
    public void Read_BypassHeader_SplitIntoNameAndSecret()
    {
        // Arrange
        var configuration = Configuration(("WR_BYPASS_HEADER", "X-Bypass:sekret123"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal("X-Bypass", options.BypassHeaderName);
        Assert.Equal("sekret123", options.BypassHeaderValue);
    }

    [Fact]
    public void Read_AdminToken_TurnsTheAdminApiOn()
    {
        // Arrange
        var configuration = Configuration(("WR_ADMIN_TOKEN", "a-long-admin-token-0123"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.Equal("a-long-admin-token-0123", options.AdminToken);
        Assert.Null(WaitingRoomOptionsReader.Read(Configuration()).AdminToken);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("has a space in the middle!")]
    public void Read_GuessableOrMalformedAdminToken_StopsWithoutShowingIt(string token)
    {
        // Arrange & Act
        var exception = ReadFails(("WR_ADMIN_TOKEN", token));

        // Assert
        var line = Assert.Single(exception.Errors);
        Assert.StartsWith("WR_ADMIN_TOKEN=", line, StringComparison.Ordinal);
        Assert.DoesNotContain(token, line, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_HealthCheckTimes_AreReadAndATimeoutLongerThanTheIntervalStops()
    {
        // Arrange
        var configuration = Configuration(("WR_HEALTH_CHECK_INTERVAL", "2"), ("WR_HEALTH_CHECK_TIMEOUT", "0.5"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);
        var exception = ReadFails(("WR_HEALTH_CHECK_INTERVAL", "2"), ("WR_HEALTH_CHECK_TIMEOUT", "3"));

        // Assert
        Assert.Equal(TimeSpan.FromSeconds(2), options.HealthCheckInterval);
        Assert.Equal(TimeSpan.FromSeconds(0.5), options.HealthCheckTimeout);
        Assert.StartsWith("WR_HEALTH_CHECK_TIMEOUT='3'", Assert.Single(exception.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RoomPolicyVariables_ShapeTheDefaultRoom()
    {
        // Arrange
        var configuration = Configuration(
            ("WR_MAX_ACTIVE", "7"), ("WR_QUEUE_MODE", "Random"), ("WR_NEW_USERS_PER_MINUTE", "30"), ("WR_SESSION_MAX", "600"),
            ("WR_MAX_NEW_PER_IP_PER_MINUTE", "0"), ("WR_QUEUE_TITLE", "Big sale"), ("WR_QUEUE_MESSAGE", "Thanks for waiting"),
            ("WR_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7"));

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        var room = Assert.Single(options.Rooms);
        Assert.Same(room, options.DefaultRoom);
        Assert.Equal(("default", 7, QueueMode.Random, 30, TimeSpan.FromMinutes(10), 0), (room.Name, room.MaxActive, room.QueueMode, room.NewUsersPerMinute, room.SessionMax, room.MaxNewPerIpPerMinute));
        Assert.Equal(("Big sale", "Thanks for waiting"), (room.Title, room.Message));
        Assert.Null(room.Event);
        Assert.Equal(["10.0.0.0/8", "192.168.1.7/32"], options.TrustedProxies.Select(n => n.ToString()));
    }

    [Fact]
    public void Read_NoPolicyVariables_FifoNoCapsAndSixtyNewPerAddress()
    {
        // Arrange & Act
        var room = WaitingRoomOptionsReader.Read(Configuration()).DefaultRoom;

        // Assert
        Assert.Equal((QueueMode.Fifo, 0, TimeSpan.Zero, 60), (room.QueueMode, room.NewUsersPerMinute, room.SessionMax, room.MaxNewPerIpPerMinute));
    }

    [Fact]
    public void Read_EventVariables_GiveTheDefaultRoomAnEvent()
    {
        // Arrange
        var configuration = Configuration(
            ("WR_EVENT_START", "2026-12-01T09:00:00Z"), ("WR_EVENT_END", "2026-12-01T11:00:00+01:00"),
            ("WR_EVENT_PREQUEUE_START", "2026-12-01T08:30:00Z"), ("WR_EVENT_SHUFFLE", "true"), ("WR_EVENT_MAX_ACTIVE", "500"),
            ("WR_EVENT_NEW_USERS_PER_MINUTE", "200"), ("WR_EVENT_QUEUE_MODE", "fifo"), ("WR_EVENT_SESSION_MAX", "900"),
            ("WR_EVENT_TITLE", "Winter drop"), ("WR_EVENT_MESSAGE", "Opens at nine"));

        // Act
        var e = WaitingRoomOptionsReader.Read(configuration).DefaultRoom.Event;

        // Assert
        Assert.NotNull(e);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero), e.Start);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero), e.End);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 8, 30, 0, TimeSpan.Zero), e.PrequeueStart);
        Assert.True(e.ShuffleAtStart);
        Assert.Equal((500, 200, QueueMode.Fifo, TimeSpan.FromMinutes(15)), (e.MaxActive, e.NewUsersPerMinute, e.QueueMode, e.SessionMax));
        Assert.Equal(("Winter drop", "Opens at nine"), (e.Title, e.Message));
    }

    [Theory]
    [InlineData("WR_EVENT_END", "2026-12-01T08:00:00Z", "WR_EVENT_END=")]
    [InlineData("WR_EVENT_PREQUEUE_START", "2026-12-01T09:30:00Z", "WR_EVENT_PREQUEUE_START=")]
    [InlineData("WR_EVENT_START", "2026-12-01T09:00:00", "WR_EVENT_START=")]
    [InlineData("WR_EVENT_SHUFFLE", "true", "WR_EVENT_SHUFFLE=")]
    public void Read_InconsistentEvent_FailsNamingTheVariable(string name, string value, string expectedStart)
    {
        // Arrange: a valid event, with one variable changed.
        var variables = new Dictionary<string, string?>
        {
            ["WR_EVENT_START"] = "2026-12-01T09:00:00Z",
            ["WR_EVENT_END"] = "2026-12-01T10:00:00Z",
        };
        variables[name] = value;

        // Act
        var exception = ReadFails([.. variables.Select(v => (v.Key, v.Value))]);

        // Assert
        Assert.Contains(exception.Errors, line => line.StartsWith(expectedStart, StringComparison.Ordinal));
    }

    [Fact]
    public void Read_EventSettingWithoutStartAndEnd_FailsNamingThem()
    {
        // Arrange & Act
        var exception = ReadFails(("WR_EVENT_MAX_ACTIVE", "50"));

        // Assert
        var line = Assert.Single(exception.Errors);
        Assert.Contains("WR_EVENT_START and WR_EVENT_END", line, StringComparison.Ordinal);
        Assert.Contains("WR_EVENT_MAX_ACTIVE", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("WR_QUEUE_MODE", "lottery")]
    [InlineData("WR_EVENT_QUEUE_MODE", "lottery")]
    [InlineData("WR_NEW_USERS_PER_MINUTE", "-1")]
    [InlineData("WR_SESSION_MAX", "forever")]
    [InlineData("WR_MAX_NEW_PER_IP_PER_MINUTE", "many")]
    [InlineData("WR_TRUSTED_PROXIES", "10.0.0.0/8, gateway")]
    [InlineData("WR_QUEUE_TITLE", "two\nlines")]
    [InlineData("WR_ROOMS_FILE", "/nonexistent/rooms.json")]
    public void Read_BadPolicyVariable_FailsNamingIt(string name, string value)
    {
        // Arrange & Act
        var exception = ReadFails((name, value), ("WR_EVENT_START", name.StartsWith("WR_EVENT", StringComparison.Ordinal) ? "2026-12-01T09:00:00Z" : null), ("WR_EVENT_END", name.StartsWith("WR_EVENT", StringComparison.Ordinal) ? "2026-12-01T10:00:00Z" : null));

        // Assert
        var line = Assert.Single(exception.Errors);
        Assert.StartsWith(name + "=", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RoomsFile_AddsItsRoomsAfterTheDefaultRoom()
    {
        // Arrange
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """{"rooms":[{"name":"sale","path":"/sale","maxActive":5,"queueMode":"reject"}]}""");
        try
        {
            // Act
            var options = WaitingRoomOptionsReader.Read(Configuration(("WR_ROOMS_FILE", file), ("WR_ACTIVE_TTL", "30")));

            // Assert
            Assert.Equal(["default", "sale"], options.Rooms.Select(r => r.Name));
            var sale = options.Rooms[1];
            Assert.Equal(("/sale", 5, QueueMode.Reject, TimeSpan.FromSeconds(30)), (sale.Path, sale.MaxActive, sale.QueueMode, sale.ActiveTtl));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Read_RoomsFileWithAnError_FailsWithTheLineAndTheReason()
    {
        // Arrange
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "{\"rooms\": [\n  {\"name\": \"sale\",\n   \"path\": \"/sale\",\n   \"maxActive\": 0}\n]}\n");
        try
        {
            // Act
            var exception = ReadFails(("WR_ROOMS_FILE", file));

            // Assert
            var line = Assert.Single(exception.Errors);
            Assert.StartsWith("WR_ROOMS_FILE=", line, StringComparison.Ordinal);
            Assert.Contains("line 4:", line, StringComparison.Ordinal);
            Assert.Contains("maxActive", line, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Read_UnknownWrVariable_WarnsWithoutFailing()
    {
        // Arrange
        var configuration = Configuration(("WR_FOO", "1"), ("WR_MAX_ACTIVE", "5"));
        var warnings = new List<string>();

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration, warnings);

        // Assert
        Assert.Equal(5, options.MaxActive);
        var warning = Assert.Single(warnings);
        Assert.Contains("WR_FOO", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TestAndKnownVariables_NoWarning()
    {
        // Arrange
        var configuration = Configuration(
            ("WR_TEST_REDIS", "1"),
            ("WR_MAX_ACTIVE", "5"),
            ("WR_REDIS_HOST", "h"),
            ("WR_REDIS_PORT", "6379"),
            ("WR_REDIS_PASS", "p"),
            ("WR_REDIS_KEY_PREFIX", "p"),
            ("OTHER_VARIABLE", "1"));
        var warnings = new List<string>();

        // Act
        WaitingRoomOptionsReader.Read(configuration, warnings);

        // Assert
        Assert.Empty(warnings);
    }

    /// <summary>A queue page that passes the start-up check (it shows {{position}}), written once per test run.</summary>
    private static string QueuePageFile => s_queuePage.Value;

    private static readonly Lazy<string> s_queuePage = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"wr-queue-{Environment.ProcessId}.html");
        File.WriteAllText(path, "<p>You are number {{position}}</p>");
        return path;
    });
}
