using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using WaitingRoom.Configuration;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Configuration;

/// <summary>
/// <c>--print-config</c> and <c>--check-config</c>: the report itself (<see cref="ConfigurationReport"/>),
/// the command, and the built app run as a real process with each flag.
/// </summary>
public sealed class ConfigurationCommandTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private static IConfiguration Configuration(params (string Name, string? Value)[] variables)
    {
        var values = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.OrdinalIgnoreCase);
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    private static string Report(IConfiguration configuration)
    {
        var warnings = new List<string>();
        var options = WaitingRoomOptionsReader.Read(configuration, warnings);
        return ConfigurationReport.Render(options, configuration, warnings);
    }

    private static string[] LinesOf(string text) => text.Replace("\r", "", StringComparison.Ordinal).Split('\n');

    [Fact]
    public void Render_NoVariables_ListsEveryVariableInOrderMarkedDefault()
    {
        // Arrange
        var configuration = Configuration();

        // Act
        var lines = LinesOf(Report(configuration));

        // Assert
        var variableLines = lines.TakeWhile(l => l.Length > 0).ToList();
        Assert.Equal(WaitingRoomOptionsReader.KnownVariables, variableLines.Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)]));
        Assert.All(variableLines, line => Assert.EndsWith("  # default", line, StringComparison.Ordinal));
        Assert.Contains("WR_MAX_ACTIVE=100  # default", lines);
        Assert.Contains("WR_ACTIVE_TTL=60  # default", lines);
        Assert.Contains("WR_QUEUE_MODE=fifo  # default", lines);
        Assert.Contains("WR_LOAD_BALANCING=round-robin  # default", lines);
        Assert.Contains("WR_FAILURE_MODE=closed  # default", lines);
        Assert.Contains("WR_PORT=8080  # default", lines);
        Assert.Contains("WR_REDIS_HOST=  # default", lines);
        Assert.Contains(lines, l => l.StartsWith("store: the embedded in-memory store", StringComparison.Ordinal));
        Assert.Contains("room 'default' (host *, path /)", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("# warning:", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_EveryKnownVariable_HasItsOwnLineNeverNotShown()
    {
        // Arrange: with an event, so the event variables have values too. A variable added to the
        // reader but forgotten in the report would print "(not shown)".
        var configuration = Configuration(
            ("WR_EVENT_START", "2026-12-01T09:00:00Z"), ("WR_EVENT_END", "2026-12-01T10:00:00Z"),
            ("WR_EVENT_PREQUEUE_START", "2026-12-01T08:30:00Z"), ("WR_EVENT_SHUFFLE", "true"));

        // Act
        var report = Report(configuration);

        // Assert
        Assert.DoesNotContain("(not shown)", report, StringComparison.Ordinal);
        Assert.Equal(WaitingRoomOptionsReader.KnownVariables.Count, LinesOf(report).Count(l => l.StartsWith("WR_", StringComparison.Ordinal)));
    }

    [Fact]
    public void Render_SetValues_ShowsEffectiveValuesAsOperatorWritesThemMarkedSet()
    {
        // Arrange
        var configuration = Configuration(
            ("WR_MAX_ACTIVE", "250"),
            ("WR_ACTIVE_TTL", "1.5"),
            ("WR_QUEUE_MODE", "RANDOM"),
            ("WR_LOAD_BALANCING", "Power-Of-Two-Choices"),
            ("WR_BYPASS_PATHS", " /health , /static "),
            ("WR_BACKEND_URL", "http://a:5000, https://b.example/app"),
            ("WR_FAILURE_MODE", "open"),
            ("WR_STICKY", "yes"),
            ("WR_TRUSTED_PROXIES", "10.0.0.0/8,192.168.1.1"),
            ("WR_EVENT_START", "2026-12-01T10:00+01:00"),
            ("WR_EVENT_END", "2026-12-01T12:00:00Z"),
            ("WR_EVENT_QUEUE_MODE", "queue-all"));

        // Act
        var lines = LinesOf(Report(configuration));

        // Assert
        Assert.Contains("WR_MAX_ACTIVE=250  # set", lines);
        Assert.Contains("WR_ACTIVE_TTL=1.5  # set", lines);
        Assert.Contains("WR_QUEUE_MODE=random  # set", lines);
        Assert.Contains("WR_LOAD_BALANCING=power-of-two-choices  # set", lines);
        Assert.Contains("WR_BYPASS_PATHS=/health,/static  # set", lines);
        Assert.Contains("WR_BACKEND_URL=http://a:5000,https://b.example/app  # set", lines);
        Assert.Contains("WR_FAILURE_MODE=open  # set", lines);
        Assert.Contains("WR_STICKY=true  # set", lines);
        Assert.Contains("WR_TRUSTED_PROXIES=10.0.0.0/8,192.168.1.1/32  # set", lines);
        Assert.Contains("WR_EVENT_START=2026-12-01T10:00:00+01:00  # set", lines);
        Assert.Contains("WR_EVENT_END=2026-12-01T12:00:00Z  # set", lines);
        Assert.Contains("WR_EVENT_QUEUE_MODE=queue-all  # set", lines);
        Assert.Contains("WR_QUEUE_TTL=300  # default", lines);
        Assert.Contains("  event: no pre-queue, open from 2026-12-01T10:00:00+01:00 to 2026-12-01T12:00:00Z, shuffle at start false", lines);
        Assert.Contains("  during the event: mode queue-all", lines);
    }

    [Fact]
    public void Render_EverySecretSet_NeverPrintsAnySecret()
    {
        // Arrange
        const string secret = "cookieKEY-0123456789abcdef";
        const string adminToken = "adminTOKEN-0123456789abcdef";
        const string redisPass = "redisPASS-0123456789";
        const string urlPass = "urlPASS-0123456789";
        const string bypass = "bypassSECRET-42";
        var configuration = Configuration(
            ("WR_SECRET", secret),
            ("WR_ADMIN_TOKEN", adminToken),
            ("WR_REDIS_PASS", redisPass),
            ("WR_REDIS_URL", $"rediss://default:{urlPass}@redis.example:6380/2"),
            ("WR_BYPASS_HEADER", $"X-Bypass: {bypass}"));

        // Act
        var report = Report(configuration);

        // Assert
        foreach (var hidden in new[] { secret, adminToken, redisPass, urlPass, bypass })
        {
            Assert.DoesNotContain(hidden, report, StringComparison.Ordinal);
            Assert.DoesNotContain(hidden[..8], report, StringComparison.Ordinal);
        }

        var lines = LinesOf(report);
        Assert.Contains("WR_SECRET=(set, hidden)  # set", lines);
        Assert.Contains("WR_ADMIN_TOKEN=(set, hidden)  # set", lines);
        Assert.Contains("WR_REDIS_PASS=(set, hidden)  # set; the password of WR_REDIS_URL is used", lines);
        Assert.Contains("WR_REDIS_URL=rediss://default:(hidden)@redis.example:6380/2  # set", lines);
        Assert.Contains("WR_BYPASS_HEADER=X-Bypass:(hidden)  # set", lines);
        Assert.Contains("store: Redis at redis.example:6380 (from WR_REDIS_URL), TLS on (server certificate checked against the system's trust store, name redis.example), database 2, password set, key prefix 'wr'", lines);
    }

    [Fact]
    public void Render_NoSecretSet_SaysUnset()
    {
        // Arrange
        var configuration = Configuration();

        // Act
        var lines = LinesOf(Report(configuration));

        // Assert
        Assert.Contains("WR_SECRET=(unset)  # default", lines);
        Assert.Contains("WR_ADMIN_TOKEN=(unset)  # default", lines);
        Assert.Contains("WR_REDIS_PASS=(unset)  # default", lines);
        Assert.Contains("WR_BYPASS_HEADER=(unset)  # default", lines);
    }

    [Fact]
    public void Render_RedisHost_NamesHostAndPortInStoreLine()
    {
        // Arrange
        var configuration = Configuration(("WR_REDIS_HOST", "redis.internal"), ("WR_REDIS_PORT", "6390"), ("WR_REDIS_KEY_PREFIX", "shop"));

        // Act
        var lines = LinesOf(Report(configuration));

        // Assert
        Assert.Contains("WR_REDIS_HOST=redis.internal  # set", lines);
        Assert.Contains("WR_REDIS_PORT=6390  # set", lines);
        Assert.Contains("store: Redis at redis.internal:6390 (from WR_REDIS_HOST), TLS off, database 0, password none, key prefix 'shop'", lines);
    }

    [Fact]
    public void Render_RoomsFile_ListsEveryRoomWithItsSettings()
    {
        // Arrange
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """
            {"rooms":[
              {"name":"sale","host":"shop.example.com","path":"/sale","maxActive":5,"queueMode":"reject"},
              {"name":"news","path":"/news","newUsersPerMinute":30,"event":{"start":"2026-12-01T09:00:00Z","end":"2026-12-01T10:00:00Z","maxActive":50}}
            ]}
            """);
        try
        {
            // Act
            var lines = LinesOf(Report(Configuration(("WR_ROOMS_FILE", file), ("WR_ACTIVE_TTL", "30"))));

            // Assert
            Assert.Contains($"WR_ROOMS_FILE={file}  # set", lines);
            Assert.Equal(
                ["room 'default' (host *, path /)", "room 'sale' (host shop.example.com, path /sale)", "room 'news' (host *, path /news)"],
                lines.Where(l => l.StartsWith("room ", StringComparison.Ordinal)));
            var sale = lines.SkipWhile(l => !l.StartsWith("room 'sale'", StringComparison.Ordinal)).Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
            Assert.Contains("  capacity: at most 5 active visitors", sale);
            Assert.Contains("  mode: reject", sale);
            Assert.Contains("  TTLs: active 30 s, queue 300 s, admission window 120 s", sale);
            Assert.Contains("  event: none", sale);
            var news = lines.SkipWhile(l => !l.StartsWith("room 'news'", StringComparison.Ordinal)).Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
            Assert.Contains("  rates: 30 new per minute (0 = no cap), 60 new entries per client address per minute (0 = no cap)", news);
            Assert.Contains("  event: no pre-queue, open from 2026-12-01T09:00:00Z to 2026-12-01T10:00:00Z, shuffle at start false", news);
            Assert.Contains("  during the event: at most 50 active visitors", news);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Render_UnknownVariable_EndsWithWarningLine()
    {
        // Arrange
        var configuration = Configuration(("WR_MAX_ACTIV", "5"));

        // Act
        var lines = LinesOf(Report(configuration).TrimEnd('\n'));

        // Assert
        Assert.StartsWith("# warning: WR_MAX_ACTIV ", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Render_SameConfigurationTwice_GivesSameText()
    {
        // Arrange
        var configuration = Configuration(("WR_MAX_ACTIVE", "7"), ("WR_EVENT_START", "2026-12-01T09:00:00Z"), ("WR_EVENT_END", "2026-12-01T10:00:00Z"));

        // Act
        var first = Report(configuration);
        var second = Report(configuration);

        // Assert
        Assert.Equal(first, second);
    }

    [Fact]
    public void HostArguments_WithBothFlags_KeepsOnlyTheOtherArguments()
    {
        // Arrange
        string[] args = ["--print-config", "--urls", "http://+:9000", "--check-config"];

        // Act
        var hostArgs = ConfigurationCommand.HostArguments(args);

        // Assert
        Assert.Equal(["--urls", "http://+:9000"], hostArgs);
    }

    [Fact]
    public void Run_NoFlag_ReturnsNullAndWritesNothing()
    {
        // Arrange
        using var output = new StringWriter();
        using var error = new StringWriter();

        // Act
        var exitCode = ConfigurationCommand.Run(["--urls", "http://+:9000"], Configuration(("WR_MAX_ACTIVE", "x")), output, error);

        // Assert
        Assert.Null(exitCode);
        Assert.Empty(output.ToString());
        Assert.Empty(error.ToString());
    }

    [Fact]
    public void Run_CheckConfigValidWithUnknownVariable_SaysValidWithWarningAndReturnsZero()
    {
        // Arrange
        using var output = new StringWriter();
        using var error = new StringWriter();

        // Act
        var exitCode = ConfigurationCommand.Run(["--check-config"], Configuration(("WR_FOO", "1")), output, error);

        // Assert
        Assert.Equal(0, exitCode);
        var lines = LinesOf(output.ToString().TrimEnd());
        Assert.Equal("configuration is valid (1 room)", lines[0]);
        Assert.StartsWith("# warning: WR_FOO ", lines[1], StringComparison.Ordinal);
        Assert.Empty(error.ToString());
    }

    [Fact]
    public void Run_PrintConfigWithBadValues_WritesEachErrorToStderrAndReturnsTwo()
    {
        // Arrange
        using var output = new StringWriter();
        using var error = new StringWriter();

        // Act
        var exitCode = ConfigurationCommand.Run(["--print-config"], Configuration(("WR_MAX_ACTIVE", "x"), ("WR_QUEUE_TTL", "-1")), output, error);

        // Assert
        Assert.Equal(2, exitCode);
        Assert.Empty(output.ToString());
        var lines = LinesOf(error.ToString().TrimEnd());
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("WR_MAX_ACTIVE='x' is not valid", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("WR_QUEUE_TTL='-1' is not valid", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrintConfig_AppWithRedisAndSecrets_PrintsReportExitsZeroWithoutConnectingOrListening()
    {
        // Arrange: a socket in place of Redis that would see any connection attempt.
        using var redis = new TcpListener(IPAddress.Loopback, 0);
        redis.Start();
        var redisPort = ((IPEndPoint)redis.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        const string secret = "processSECRET-0123456789";
        const string adminToken = "processTOKEN-0123456789";

        // Act
        using var run = AppProcess.Start(
            new Dictionary<string, string>
            {
                ["WR_REDIS_HOST"] = "127.0.0.1",
                ["WR_REDIS_PORT"] = redisPort,
                ["WR_SECRET"] = secret,
                ["WR_ADMIN_TOKEN"] = adminToken,
                ["WR_MAX_ACTIVE"] = "42",
            },
            "--print-config");
        var exitCode = await run.ExitCodeAsync(s_timeout);

        // Assert
        Assert.True(exitCode == 0, $"exit code {exitCode}\nstderr: {run.StandardError}");
        Assert.Empty(run.StandardError.Trim());
        var lines = LinesOf(run.StandardOutput);
        Assert.Equal("WR_MAX_ACTIVE=42  # set", lines[0]);
        Assert.Contains("WR_SECRET=(set, hidden)  # set", lines);
        Assert.Contains("WR_ADMIN_TOKEN=(set, hidden)  # set", lines);
        Assert.Contains($"store: Redis at 127.0.0.1:{redisPort} (from WR_REDIS_HOST), TLS off, database 0, password none, key prefix 'wr'", lines);
        Assert.DoesNotContain(secret, run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(adminToken, run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", run.StandardOutput, StringComparison.Ordinal);
        Assert.False(redis.Pending(), "--print-config connected to Redis.");
    }

    [Fact]
    public async Task CheckConfig_AppWithValidVariables_SaysValidAndExitsZero()
    {
        // Arrange: Redis on a port nothing listens on; the check must not try it.
        var variables = new Dictionary<string, string>
        {
            ["WR_REDIS_HOST"] = "127.0.0.1",
            ["WR_REDIS_PORT"] = AppProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["WR_QUEUE_MODE"] = "random",
        };

        // Act
        using var run = AppProcess.Start(variables, "--check-config");
        var exitCode = await run.ExitCodeAsync(s_timeout);

        // Assert
        Assert.True(exitCode == 0, $"exit code {exitCode}\nstderr: {run.StandardError}");
        Assert.Equal("configuration is valid (1 room)", run.StandardOutput.Trim());
        Assert.Empty(run.StandardError.Trim());
    }

    [Fact]
    public async Task CheckConfig_AppWithBadVariable_ExitsTwoNamingTheVariableOnStderr()
    {
        // Arrange
        var variables = new Dictionary<string, string> { ["WR_MAX_ACTIVE"] = "x" };

        // Act
        using var run = AppProcess.Start(variables, "--check-config");
        var exitCode = await run.ExitCodeAsync(s_timeout);

        // Assert
        Assert.Equal(2, exitCode);
        Assert.Empty(run.StandardOutput.Trim());
        var line = Assert.Single(LinesOf(run.StandardError.Trim()));
        Assert.StartsWith("WR_MAX_ACTIVE='x' is not valid", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrintConfig_AppWithBadVariable_ExitsTwoWithoutReport()
    {
        // Arrange
        var variables = new Dictionary<string, string> { ["WR_QUEUE_MODE"] = "lifo" };

        // Act
        using var run = AppProcess.Start(variables, "--print-config");
        var exitCode = await run.ExitCodeAsync(s_timeout);

        // Assert
        Assert.Equal(2, exitCode);
        Assert.Empty(run.StandardOutput.Trim());
        var line = Assert.Single(LinesOf(run.StandardError.Trim()));
        Assert.StartsWith("WR_QUEUE_MODE='lifo' is not valid", line, StringComparison.Ordinal);
    }
}
