using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WaitingRoom.Configuration;
using WaitingRoom.Tests.EndToEnd;
using WaitingRoom.Tests.Infrastructure;
using WaitingRoom.Tests.Operations;
using Xunit;
using Xunit.Abstractions;

namespace WaitingRoom.Tests.Security;

/// <summary>
/// Redis with its security on, each test with a redis-server of its own: a password, an ACL that
/// restricts the <c>default</c> user to the room's keys and commands, TLS with a private CA (and
/// client certificates), and the forms of WR_REDIS_URL. The whole flow (admit, queue, promote,
/// admin API, metrics, readiness) runs through the real proxy to a real backend; a refusal must
/// stop the room from being ready and say which variable to fix, never be silent or insecure.
/// </summary>
public sealed class RedisSecurityTests
{
    /// <summary>What the <c>default</c> user may do, besides its password: the line in README (Redis security).</summary>
    internal const string AclCommands =
        "+ping +echo +select +eval +evalsha +script|load +get +set +exists +incr +incrby +pexpire +unlink " +
        "+hexists +hget +hgetall +hmget +hset +hdel +rpush +lrange +ltrim +zadd +zcard +zpopmin +zrange +zrangebyscore +zrank +zrem +zremrangebyscore +zscore +zcount +hincrby +sadd +sismember +pttl +zremrangebyrank +zrevrange";

    private const string AdminToken = "admin-token-for-security-tests";
    private const string Password = "s3cret pass:with@odd/chars%";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a refusal may take to be named, from the process start: generous for a loaded 2-core machine.</summary>
    private static readonly TimeSpan s_namedWithin = TimeSpan.FromSeconds(60);
    private readonly ITestOutputHelper _output;

    public RedisSecurityTests(ITestOutputHelper output) => _output = output;

    /// <summary>What the client asks on connect and gets along without (the ACL refuses it; ACL LOG shows it).</summary>
    private static readonly HashSet<string> s_toleratedRefusals =
    [
        "command info", "command cluster|nodes", "command cluster|slots", "command client|setname", "command client|id",
        "command config|get", "command subscribe", "command unsubscribe", "key __Booksleeve_TieBreak",
    ];

    /// <summary>The ACL rules of the <c>default</c> user (after <c>on &gt;password</c>) for key prefix <paramref name="prefix"/>.</summary>
    internal static string AclRules(string prefix) => $"resetkeys ~{prefix}:* resetchannels -@all {AclCommands}";

    /// <summary>redis-server arguments that give the <c>default</c> user <see cref="Password"/> and <see cref="AclRules"/>.</summary>
    private static string[] AclArguments(string prefix) => ["--user", "default", "on", ">" + Password, .. AclRules(prefix).Split(' ')];

    [Fact]
    public async Task Password_Right_WholeFlowWorksAndStateIsInThatRedis()
    {
        // Arrange: WR_REDIS_USER=default is the user Redis takes when none is named.
        using var server = SecureRedisServer.Start(["--requirepass", Password]);
        await using var backend = await TestBackend.StartAsync();
        var prefix = RedisServer.NewPrefix();
        var settings = Settings(backend, prefix, server.Host, server.Port);
        settings["WR_REDIS_PASS"] = Password;
        settings["WR_REDIS_USER"] = "default";

        // Act
        await using var proxy = await ProxyInstance.StartAsync(settings);
        await AssertWholeFlowAsync(proxy);

        // Assert
        Assert.Equal("2", server.Command("ZCARD", $"{prefix}:{{default}}:active"));
    }

    [Theory]
    [InlineData("not-the-password", "refused the password: WR_REDIS_PASS")]
    [InlineData(null, "requires a password and none is set: set WR_REDIS_PASS")]
    public async Task Password_WrongOrMissing_RealBinaryLogsWhatToFixAndAnswers503(string? password, string expected)
    {
        // Arrange
        using var server = SecureRedisServer.Start(["--requirepass", Password]);
        var variables = new Dictionary<string, string>
        {
            ["WR_REDIS_HOST"] = server.Host,
            ["WR_REDIS_PORT"] = server.Port.ToString(CultureInfo.InvariantCulture),
            ["WR_PORT"] = AppProcess.FreePort().ToString(CultureInfo.InvariantCulture),
        };
        if (password is not null)
        {
            variables["WR_REDIS_PASS"] = password;
        }

        var clock = Stopwatch.StartNew();
        using var app = AppProcess.Start(variables);
        using var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(5) };

        // Act
        var said = await app.OutputContainsAsync(expected, s_namedWithin);
        var saidAfter = clock.Elapsed;
        using var ready = await AnswerAsync(client, "/_wr/ready");
        using var visit = await client.GetAsync(new Uri("/", UriKind.Relative));

        // Assert
        Assert.True(said, $"no line saying '{expected}':\n{app.StandardOutput}");
        var line = LogLine(app.StandardOutput, expected);
        Assert.Equal("Error", line.GetProperty("Level").GetString());
        var message = line.GetProperty("RenderedMessage").GetString()!;
        Assert.Contains($"Redis at 127.0.0.1:{server.Port}", message, StringComparison.Ordinal);
        Assert.Contains("/_wr/ready answers 503", message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, app.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", app.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, visit.StatusCode);
        Assert.True(saidAfter < s_namedWithin, $"said after {saidAfter.TotalSeconds:0.0} s");
    }

    /// <summary>redis-server arguments: 'default' off, and user alice with <see cref="Password"/> and <see cref="AclRules"/>.</summary>
    private static string[] AliceArguments(string prefix) => ["--user", "default", "off", "--user", "alice", "on", ">" + Password, .. AclRules(prefix).Split(' ')];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AclUser_NamedInWrRedisUserOrTheUrl_WholeFlowWorksAsThatUser(bool inUrl)
    {
        // Arrange: 'default' is off, so only AUTH alice <password> gets in; alice has the documented rules.
        var prefix = RedisServer.NewPrefix();
        using var server = SecureRedisServer.Start(AliceArguments(prefix));
        await using var backend = await TestBackend.StartAsync();
        var settings = Settings(backend, prefix, inUrl ? null : server.Host, inUrl ? null : server.Port);
        if (inUrl)
        {
            settings["WR_REDIS_URL"] = $"redis://alice:{Uri.EscapeDataString(Password)}@127.0.0.1:{server.Port.ToString(CultureInfo.InvariantCulture)}";
        }
        else
        {
            settings["WR_REDIS_USER"] = "alice";
            settings["WR_REDIS_PASS"] = Password;
        }

        // Act: A admitted, B queued then promoted, through the proxy and the admin API.
        var clock = Stopwatch.StartNew();
        await using var proxy = await ProxyInstance.StartAsync(settings);
        var started = clock.Elapsed;
        await AssertWholeFlowAsync(proxy);
        var flow = clock.Elapsed - started;
        var clients = server.Command("CLIENT", "LIST");

        // Assert
        Assert.Equal("2", server.Command("ZCARD", $"{prefix}:{{default}}:active"));
        Assert.Contains("user=alice", clients, StringComparison.Ordinal);
        Assert.DoesNotContain("user=default", clients, StringComparison.Ordinal);
        _output.WriteLine($"ACL user alice ({(inUrl ? "WR_REDIS_URL" : "WR_REDIS_USER + WR_REDIS_PASS")}): proxy started in {started.TotalMilliseconds:F0} ms, whole flow in {flow.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task AclUser_WrongPassword_RealBinaryNamesTheVariableAndTheUserAndAnswers503()
    {
        // Arrange
        using var server = SecureRedisServer.Start(AliceArguments(RedisServer.NewPrefix()));
        const string expected = "refused the password: WR_REDIS_PASS (or the password in WR_REDIS_URL) is not the password of Redis user 'alice' (WR_REDIS_USER";
        var clock = Stopwatch.StartNew();
        using var app = AppProcess.Start(new Dictionary<string, string>
        {
            ["WR_REDIS_HOST"] = server.Host,
            ["WR_REDIS_PORT"] = server.Port.ToString(CultureInfo.InvariantCulture),
            ["WR_REDIS_USER"] = "alice",
            ["WR_REDIS_PASS"] = "not-the-password",
            ["WR_PORT"] = AppProcess.FreePort().ToString(CultureInfo.InvariantCulture),
        });
        using var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(5) };

        // Act
        var said = await app.OutputContainsAsync(expected, s_namedWithin);
        var saidAfter = clock.Elapsed;
        using var ready = await AnswerAsync(client, "/_wr/ready");

        // Assert
        Assert.True(said, $"no line saying '{expected}':\n{app.StandardOutput}");
        Assert.Equal("Error", LogLine(app.StandardOutput, expected).GetProperty("Level").GetString());
        Assert.DoesNotContain("not-the-password", app.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        _output.WriteLine($"ACL user alice, wrong password: named after {saidAfter.TotalMilliseconds:F0} ms from the process start");
    }

    [Fact]
    public async Task Password_FixedOnTheServer_RoomRecoversByItselfWithoutARestart()
    {
        // Arrange: the proxy has the new password before Redis does.
        using var server = SecureRedisServer.Start(["--requirepass", "the-old-password"]);
        await using var backend = await TestBackend.StartAsync();
        var settings = Settings(backend, RedisServer.NewPrefix(), server.Host, server.Port);
        settings["WR_REDIS_PASS"] = Password;
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();
        using var before = await client.GetAsync(new Uri("/_wr/ready", UriKind.Relative));

        // Act
        Assert.Equal("OK", server.Command("CONFIG", "SET", "requirepass", Password));
        var clock = Stopwatch.StartNew();
        // Calls begun before the fix may still fail after it (within the store's deadline): the
        // room counts as recovered once it is ready and a visitor gets through.
        VisitAnswer? visit = null;
        await Visit.UntilAsync(
            async () =>
            {
                using var ready = await client.GetAsync(new Uri("/_wr/ready", UriKind.Relative));
                if (ready.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }

                visit = await Visit.GetAsync(client, "/echo", forwardedFor: "198.51.100.1");
                return visit.ReachedBackend;
            },
            s_timeout,
            "the room is ready and lets a visitor in once Redis takes the password");
        var recoveredAfter = clock.Elapsed;

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
        Assert.True(visit!.ReachedBackend, visit.Body);
        Assert.True(recoveredAfter < s_timeout, $"recovered after {recoveredAfter.TotalSeconds:0.0} s");
    }

    [Fact]
    public void ConfigurationReport_TlsVariables_ShowFilesAndTheCheckNeverThePassword()
    {
        // Arrange
        using var certificates = TestCertificates.Create();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["WR_REDIS_HOST"] = "redis.internal",
            ["WR_REDIS_PASS"] = Password,
            ["WR_REDIS_TLS"] = "true",
            ["WR_REDIS_TLS_CA"] = certificates.CaFile,
            ["WR_REDIS_TLS_HOST"] = "redis.example",
            ["WR_REDIS_TLS_CERT"] = certificates.ClientCertificateFile,
            ["WR_REDIS_TLS_KEY"] = certificates.ClientKeyFile,
        }).Build();
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Act
        var report = ConfigurationReport.Render(options, configuration, []);

        // Assert
        var lines = report.Split('\n');
        Assert.Contains("WR_REDIS_TLS=true  # set", lines);
        Assert.Contains($"WR_REDIS_TLS_CA={certificates.CaFile}  # set", lines);
        Assert.Contains("WR_REDIS_TLS_HOST=redis.example  # set", lines);
        Assert.Contains($"WR_REDIS_TLS_CERT={certificates.ClientCertificateFile}  # set", lines);
        Assert.Contains("WR_REDIS_TLS_KEY=(set)  # set", lines);
        Assert.Contains(
            $"store: Redis at redis.internal:6379 (from WR_REDIS_HOST), TLS on (server certificate checked against the CA of WR_REDIS_TLS_CA ({certificates.CaFile}), " +
            "name redis.example, client certificate of WR_REDIS_TLS_CERT), database 0, password set, key prefix 'wr'",
            lines);
        Assert.DoesNotContain(Password, report, StringComparison.Ordinal);
        Assert.DoesNotContain("(not shown)", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acl_DocumentedRulesForDefaultUser_WholeFlowWorksWithNoRefusalButTheToleratedOnes()
    {
        // Arrange: the default user may do exactly what README documents, on the test's prefix only.
        var prefix = RedisServer.NewPrefix();
        using var server = SecureRedisServer.Start(AclArguments(prefix));
        await using var backend = await TestBackend.StartAsync();
        var settings = Settings(backend, prefix, server.Host, server.Port);
        settings["WR_REDIS_PASS"] = Password;
        settings.Remove("WR_SECRET");

        // Act: the whole flow, the shared cookie key (WR_SECRET unset), and the scripts loaded again after SCRIPT FLUSH.
        await using var proxy = await ProxyInstance.StartAsync(settings);
        await AssertWholeFlowAsync(proxy);
        Assert.Equal("OK", server.Command("SCRIPT", "FLUSH"));
        using var client = proxy.Anonymous();
        var third = await Visit.GetAsync(client, "/echo", forwardedFor: "198.51.100.3");
        var refusals = Refusals(server.Command("ACL", "LOG", "1000"));

        // Assert
        Assert.Equal("queued", third.State);
        Assert.NotEqual("(nil)", server.Command("GET", $"{prefix}:secret"));
        _output.WriteLine("refused on connect: " + string.Join(", ", refusals.Distinct()));
        Assert.All(refusals, r => Assert.Contains(r, s_toleratedRefusals));
        Assert.Contains("command info", refusals);
    }

    [Fact]
    public async Task Acl_DocumentedRules_RefuseEveryKeyOutsideThePrefixAndEveryOtherCommand()
    {
        // Arrange
        var prefix = RedisServer.NewPrefix();
        using var server = SecureRedisServer.Start(AclArguments(prefix));
        server.Command("SET", "other:key", "x");

        // Act
        var inside = server.CommandAs("default", Password, 0, "SET", $"{prefix}:probe", "1");
        var outside = server.CommandAs("default", Password, 0, "GET", "other:key");
        var lookalike = server.CommandAs("default", Password, 0, "SET", prefix + "x:probe", "1");
        var inScript = server.CommandAs("default", Password, 0, "EVAL", "return redis.call('GET', KEYS[1])", "1", "other:key");
        var keys = server.CommandAs("default", Password, 0, "KEYS", "*");
        var flush = server.CommandAs("default", Password, 0, "FLUSHALL");
        var config = server.CommandAs("default", Password, 0, "CONFIG", "SET", "requirepass", "x");
        var publish = server.CommandAs("default", Password, 0, "PUBLISH", "chan", "x");

        // Assert
        Assert.Equal("OK", inside);
        Assert.StartsWith("-NOPERM", outside, StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", lookalike, StringComparison.Ordinal);
        Assert.Contains("NOPERM", inScript, StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", keys, StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", flush, StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", config, StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", publish, StringComparison.Ordinal);
        Assert.Equal("x", server.Command("GET", "other:key"));
    }

    [Fact]
    public void Acl_Rules_AllowExactlyTheCommandsTheScriptsCall()
    {
        // Arrange: a command added to (or dropped from) a script must be added to (or dropped from) the documented ACL.
        var scripts = string.Concat(Directory.GetFiles(Path.Combine(RepositoryRoot(), "src", "WaitingRoom", "Queue", "Redis"), "RedisWaitingRoomStore*.cs").Select(File.ReadAllText));
        string[] client = ["ping", "echo", "select", "eval", "evalsha", "script|load"];

        // Act
        var called = System.Text.RegularExpressions.Regex.Matches(scripts, @"redis\.p?call\('(\w+)'")
            .Select(m => m.Groups[1].Value.ToLowerInvariant()).ToHashSet();
        var allowed = AclCommands.Split(' ').Select(c => c.TrimStart('+')).Except(client).ToHashSet();

        // Assert
        Assert.NotEmpty(called);
        Assert.Equal(called.Order(), allowed.Order());
    }

    [Fact]
    public void Acl_Readme_DocumentsTheTestedRulesForTheDefaultPrefix()
    {
        // Arrange
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));

        // Act
        var line = $"user default on >YOUR_PASSWORD {AclRules("wr")}";

        // Assert
        Assert.Contains(line, readme, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acl_PrefixOutsideTheRules_StartupNamesTheAclAndVisitorsGet503()
    {
        // Arrange: the ACL allows one prefix, the proxy uses another.
        var allowed = RedisServer.NewPrefix();
        using var server = SecureRedisServer.Start(AclArguments(allowed));
        await using var backend = await TestBackend.StartAsync();
        var settings = Settings(backend, RedisServer.NewPrefix(), server.Host, server.Port);
        settings["WR_REDIS_PASS"] = Password;
        var capture = new LogCapture();

        // Act
        await using var proxy = await ProxyInstance.StartAsync(settings, services => services.AddSingleton<ILoggerProvider>(capture));
        using var client = proxy.Anonymous();
        var visit = await Visit.GetAsync(client, "/echo", forwardedFor: "198.51.100.1");

        // Assert
        var entries = await capture.WaitForAsync(e => e.EventId.Name == "RedisRefused");
        var refused = Assert.Single(entries, e => e.EventId.Name == "RedisRefused");
        Assert.Equal(LogLevel.Error, refused.Level);
        Assert.Contains("refused a command or key for lack of permission (ACL: NOPERM", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"key prefix '{settings["WR_REDIS_KEY_PREFIX"]}'", refused.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, visit.Status);
        Assert.Equal("0", server.Command("DBSIZE"));
    }

    [Fact]
    public async Task Tls_PrivateCaInWrRedisTlsCa_WholeFlowWorks()
    {
        // Arrange: TLS is the only way in.
        using var certificates = TestCertificates.Create();
        using var server = SecureRedisServer.Start(["--requirepass", Password], certificates, plainPort: false);
        await using var backend = await TestBackend.StartAsync();
        var prefix = RedisServer.NewPrefix();
        var settings = Settings(backend, prefix, server.Host, server.TlsPort!.Value);
        settings["WR_REDIS_PASS"] = Password;
        settings["WR_REDIS_TLS"] = "true";
        settings["WR_REDIS_TLS_CA"] = certificates.CaFile;

        // Act
        await using var proxy = await ProxyInstance.StartAsync(settings);
        await AssertWholeFlowAsync(proxy);

        // Assert
        Assert.Equal("2", server.Command("ZCARD", $"{prefix}:{{default}}:active"));
    }

    [Theory]
    [InlineData("no CA", "the certificate must chain to the system's trust store; for a private CA set WR_REDIS_TLS_CA")]
    [InlineData("another CA", "the certificate must chain to a certificate of WR_REDIS_TLS_CA")]
    [InlineData("another name", "it must name redis.example (WR_REDIS_TLS_HOST")]
    public async Task Tls_ServerNotTrusted_RefusedReportedAndNothingWritten(string trust, string expected)
    {
        // Arrange
        using var certificates = TestCertificates.Create();
        using var other = TestCertificates.Create("Some other CA");
        using var server = SecureRedisServer.Start(["--requirepass", Password], certificates, plainPort: false);
        await using var backend = await TestBackend.StartAsync();
        var settings = Settings(backend, RedisServer.NewPrefix(), server.Host, server.TlsPort!.Value);
        settings["WR_REDIS_PASS"] = Password;
        settings["WR_REDIS_TLS"] = "true";
        switch (trust)
        {
            case "another CA":
                settings["WR_REDIS_TLS_CA"] = other.CaFile;
                break;
            case "another name":
                settings["WR_REDIS_TLS_CA"] = certificates.CaFile;
                settings["WR_REDIS_TLS_HOST"] = "redis.example";
                break;
        }

        var capture = new LogCapture();

        // Act
        await using var proxy = await ProxyInstance.StartAsync(settings, services => services.AddSingleton<ILoggerProvider>(capture));
        using var client = proxy.Anonymous();
        using var ready = await client.GetAsync(new Uri("/_wr/ready", UriKind.Relative));
        var visit = await Visit.GetAsync(client, "/echo", forwardedFor: "198.51.100.1");

        // Assert
        var entries = await capture.WaitForAsync(e => e.EventId.Name == "RedisRefused");
        var refused = Assert.Single(entries, e => e.EventId.Name == "RedisRefused");
        Assert.Contains($"TLS to Redis at 127.0.0.1:{server.TlsPort}", refused.Message, StringComparison.Ordinal);
        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
        if (trust != "no CA")
        {
            var reason = Assert.Single(entries.Where(e => e.EventId.Name == "RedisCertificateRejected").Select(e => e.Message).Distinct());
            Assert.Contains(trust == "another CA" ? "its chain does not end at a certificate of WR_REDIS_TLS_CA" : "does not name the host", reason, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, visit.Status);
        Assert.Equal("0", server.Command("DBSIZE"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Tls_ClientCertificateRequired_WorksOnlyWithWrRedisTlsCertAndKey(bool withClientCertificate)
    {
        // Arrange
        using var certificates = TestCertificates.Create();
        using var server = SecureRedisServer.Start([], certificates, plainPort: false, clientCertificates: true);
        await using var backend = await TestBackend.StartAsync();
        var prefix = RedisServer.NewPrefix();
        var settings = Settings(backend, prefix, server.Host, server.TlsPort!.Value);
        settings["WR_REDIS_TLS"] = "true";
        settings["WR_REDIS_TLS_CA"] = certificates.CaFile;
        if (withClientCertificate)
        {
            settings["WR_REDIS_TLS_CERT"] = certificates.ClientCertificateFile;
            settings["WR_REDIS_TLS_KEY"] = certificates.ClientKeyFile;
        }

        // Act
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();
        using var ready = await client.GetAsync(new Uri("/_wr/ready", UriKind.Relative));
        var visit = await Visit.GetAsync(client, "/echo", forwardedFor: "198.51.100.1");

        // Assert
        if (withClientCertificate)
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.True(visit.ReachedBackend, visit.Body);
            Assert.Equal("1", server.Command("ZCARD", $"{prefix}:{{default}}:active"));
        }
        else
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, visit.Status);
            Assert.Equal("0", server.Command("DBSIZE"));
        }
    }

    [Theory]
    [InlineData("redis://:{pass}@127.0.0.1:{port}/3", null, 3)]
    [InlineData("redis://default:{pass}@127.0.0.1:{port}", null, 0)]
    [InlineData("redis://127.0.0.1:{port}/1", "{password}", 1)]
    [InlineData("redis://:{pass}@127.0.0.1:{port}", "a-wrong-password", 0)]
    [InlineData("rediss://:{pass}@127.0.0.1:{tlsport}/2", null, 2)]
    public async Task Url_Forms_ConnectWithTheRightPasswordAndDatabase(string url, string? passVariable, int database)
    {
        // Arrange: one server on a plain and a TLS port; the password has characters a URL must percent-encode.
        using var certificates = TestCertificates.Create();
        using var server = SecureRedisServer.Start(["--requirepass", Password], certificates);
        await using var backend = await TestBackend.StartAsync();
        var prefix = RedisServer.NewPrefix();
        var settings = Settings(backend, prefix, null, null);
        settings["WR_REDIS_URL"] = url
            .Replace("{pass}", Uri.EscapeDataString(Password), StringComparison.Ordinal)
            .Replace("{port}", server.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{tlsport}", server.TlsPort!.Value.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        if (passVariable is not null)
        {
            settings["WR_REDIS_PASS"] = passVariable.Replace("{password}", Password, StringComparison.Ordinal);
        }

        if (url.StartsWith("rediss:", StringComparison.Ordinal))
        {
            settings["WR_REDIS_TLS_CA"] = certificates.CaFile;
        }

        // Act
        await using var proxy = await ProxyInstance.StartAsync(settings);
        using var client = proxy.Anonymous();
        // Ready once the first connection (TLS and AUTH included) is up: on a loaded machine that can
        // take longer than the start-up wait, so readiness is polled, bounded, not read once.
        var readyStatus = HttpStatusCode.ServiceUnavailable;
        for (var attempt = 0; attempt < 100 && readyStatus != HttpStatusCode.OK; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(200);
            }

            using var ready = await client.GetAsync(new Uri("/_wr/ready", UriKind.Relative));
            readyStatus = ready.StatusCode;
        }

        var visit = await Visit.GetAsync(client, "/echo", forwardedFor: "198.51.100.1");

        // Assert
        Assert.Equal(HttpStatusCode.OK, readyStatus);
        Assert.True(visit.ReachedBackend, visit.Body);
        var active = $"{prefix}:{{default}}:active";
        Assert.Equal("1", server.CommandIn(database, "ZCARD", active));
        if (database != 0)
        {
            Assert.Equal("0", server.Command("ZCARD", active));
        }
    }

    [Theory]
    [InlineData("WR_REDIS_URL", "http://127.0.0.1:6379", null)]
    [InlineData("WR_REDIS_URL", "redis://:hunter2pw@127.0.0.1:notaport", null)]
    [InlineData("WR_REDIS_URL", "redis://:hunter2pw@127.0.0.1:6379/16", null)]
    [InlineData("WR_REDIS_URL", "redis://:hunter2pw@127.0.0.1:6379", "WR_REDIS_HOST=127.0.0.1")]
    [InlineData("WR_REDIS_TLS", "true", "WR_REDIS_URL=redis://127.0.0.1:6379")]
    [InlineData("WR_REDIS_TLS_CA", "/nonexistent/ca.pem", "WR_REDIS_URL=rediss://127.0.0.1:6379")]
    [InlineData("WR_REDIS_TLS_CA", "{notacert}", "WR_REDIS_URL=rediss://127.0.0.1:6379")]
    [InlineData("WR_REDIS_TLS_CA", "{ca}", "WR_REDIS_HOST=127.0.0.1")]
    [InlineData("WR_REDIS_TLS_CERT", "{ca}", "WR_REDIS_URL=rediss://127.0.0.1:6379")]
    public async Task BadRedisVariable_RealBinaryExitsNamingItWithoutThePassword(string name, string value, string? other)
    {
        // Arrange
        using var certificates = TestCertificates.Create();
        var notACertificate = Path.Combine(certificates.Folder, "not-a-cert.pem");
        await File.WriteAllTextAsync(notACertificate, "hello, not a certificate\n");
        var variables = new Dictionary<string, string>
        {
            [name] = value.Replace("{ca}", certificates.CaFile, StringComparison.Ordinal).Replace("{notacert}", notACertificate, StringComparison.Ordinal),
            ["WR_PORT"] = "0",
        };
        if (other is not null)
        {
            var equals = other.IndexOf('=', StringComparison.Ordinal);
            variables[other[..equals]] = other[(equals + 1)..];
        }

        using var app = AppProcess.Start(variables);

        // Act
        var exitCode = await app.ExitCodeAsync(s_timeout);

        // Assert
        Assert.NotEqual(0, exitCode);
        var lines = app.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith(name, StringComparison.Ordinal));
        Assert.DoesNotContain("hunter2pw", app.StandardError + app.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("WR_REDIS_TLS=true", "WR_REDIS_TLS is set but no Redis is")]
    [InlineData("WR_REDIS_HOST=redis.internal;WR_REDIS_TLS=true;WR_REDIS_TLS_HOST=bad host!", "WR_REDIS_TLS_HOST='bad host!' is not valid")]
    [InlineData("WR_REDIS_HOST=redis.internal;WR_REDIS_TLS=true;WR_REDIS_TLS_CERT={client};WR_REDIS_TLS_KEY={serverkey}", "WR_REDIS_TLS_KEY=")]
    [InlineData("WR_REDIS_HOST=redis.internal;WR_REDIS_TLS=maybe", "WR_REDIS_TLS='maybe' is not valid: expected true or false")]
    [InlineData("WR_REDIS_URL=rediss://:x@redis.internal;WR_REDIS_TLS=false", "WR_REDIS_TLS='false' is not valid: WR_REDIS_URL is set and its scheme decides TLS")]
    [InlineData("WR_REDIS_URL=redis//bad;WR_REDIS_TLS_CA={ca}", "WR_REDIS_URL='(hidden)' is not valid")]
    public void TlsVariables_Mistakes_StopStartUpWithOneLineNamingTheVariable(string variables, string expected)
    {
        // Arrange
        using var certificates = TestCertificates.Create();
        var values = new Dictionary<string, string?>();
        foreach (var pair in variables.Split(';'))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            values[pair[..equals]] = pair[(equals + 1)..]
                .Replace("{ca}", certificates.CaFile, StringComparison.Ordinal)
                .Replace("{client}", certificates.ClientCertificateFile, StringComparison.Ordinal)
                .Replace("{serverkey}", certificates.ServerKeyFile, StringComparison.Ordinal);
        }

        // Act
        var exception = Assert.Throws<WaitingRoomConfigurationException>(() => WaitingRoomOptionsReader.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build()));

        // Assert
        var line = Assert.Single(exception.Errors);
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public void TlsVariables_RedissUrlWithWrRedisTlsTrue_AgreeAndTheCaIsLoaded()
    {
        // Arrange
        using var certificates = TestCertificates.Create();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["WR_REDIS_URL"] = "rediss://:x@redis.internal:6380",
            ["WR_REDIS_TLS"] = "true",
            ["WR_REDIS_TLS_CA"] = certificates.CaFile,
        }).Build();

        // Act
        var options = WaitingRoomOptionsReader.Read(configuration);

        // Assert
        Assert.True(options.RedisSsl);
        var root = Assert.Single(options.RedisTlsRoots!);
        Assert.Equal(certificates.Authority.Thumbprint, root.Thumbprint);
    }

    /// <summary>
    /// With WR_MAX_ACTIVE 1: A is let in, B queues at position 1; raising the capacity through the
    /// admin API promotes B, who then reaches the backend; the admin API, /_wr/metrics and
    /// /_wr/ready agree.
    /// </summary>
    private static async Task AssertWholeFlowAsync(ProxyInstance proxy)
    {
        using var client = proxy.Anonymous();
        using var admin = new AdminClient(proxy.Address, AdminToken);
        using var ready = await client.GetAsync(new Uri("/_wr/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        var a = await Visit.GetAsync(client, "/echo", forwardedFor: "198.51.100.1");
        var b = await Visit.GetAsync(client, "/echo", forwardedFor: "198.51.100.2");
        Assert.True(a.ReachedBackend, a.Body);
        Assert.Equal("queued", b.State);
        Assert.Equal(1, b.Number("position"));

        var patched = await admin.PatchAsync("/_wr/admin/rooms/default", """{"maxActive":2}""");
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        await Visit.UntilAsync(async () => (await Visit.StatusAsync(client, b.Token!)).State is "released" or "active", TimeSpan.FromSeconds(10), "the waiter is promoted");
        var bIn = await Visit.GetAsync(client, "/echo", b.Token, "198.51.100.2");
        Assert.True(bIn.ReachedBackend, bIn.Body);

        var room = await admin.RoomAsync();
        Assert.Equal(2, room.GetProperty("active").GetInt64());
        Assert.Equal(0, room.GetProperty("queued").GetInt64());
        using var scrape = await client.GetAsync(new Uri("/_wr/metrics", UriKind.Relative));
        var metrics = PrometheusText.Parse(await scrape.Content.ReadAsStringAsync());
        Assert.True(metrics.TryValue("wr_promoted_total", out var promoted, ("room", "default")), "wr_promoted_total is exported");
        Assert.Equal(1, promoted);
    }

    private static Dictionary<string, string?> Settings(TestBackend backend, string prefix, string? host, int? port)
    {
        var settings = new Dictionary<string, string?>
        {
            ["WR_REDIS_KEY_PREFIX"] = prefix,
            ["WR_BACKEND_URL"] = backend.Address.ToString(),
            ["WR_MAX_ACTIVE"] = "1",
            ["WR_RELEASE_INTERVAL"] = "0.2",
            ["WR_ADMIN_TOKEN"] = AdminToken,
            ["WR_SECRET"] = "a-test-secret-of-at-least-32-characters!",
        };
        if (host is not null)
        {
            settings["WR_REDIS_HOST"] = host;
            settings["WR_REDIS_PORT"] = port!.Value.ToString(CultureInfo.InvariantCulture);
        }

        return settings;
    }

    /// <summary>The refusals of ACL LOG as "reason object" (e.g. "command info", "key other:x").</summary>
    private static List<string> Refusals(string aclLog)
    {
        var lines = aclLog.Split('\n');
        var refusals = new List<string>();
        string? reason = null;
        for (var i = 0; i + 1 < lines.Length; i++)
        {
            switch (lines[i])
            {
                case "reason":
                    reason = lines[++i];
                    break;
                case "object" when reason is not null:
                    refusals.Add($"{reason} {lines[++i]}");
                    reason = null;
                    break;
            }
        }

        return refusals;
    }

    private static JsonElement LogLine(string output, string containing)
    {
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Contains(containing, StringComparison.Ordinal))
            {
                return JsonDocument.Parse(line).RootElement.Clone();
            }
        }

        throw new InvalidOperationException($"no line with '{containing}'");
    }

    /// <summary>GET <paramref name="path"/> once the app listens (it checks Redis before it does).</summary>
    private static async Task<HttpResponseMessage> AnswerAsync(HttpClient client, string path)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await client.GetAsync(new Uri(path, UriKind.Relative));
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && clock.Elapsed < s_timeout)
            {
                // Not listening yet, or too slow to answer on a loaded machine: ask again.
                await Task.Delay(100);
            }
        }
    }

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "WaitingRoom.sln")))
        {
            root = root.Parent ?? throw new InvalidOperationException("WaitingRoom.sln not found above the test folder.");
        }

        return root.FullName;
    }
}
