using Microsoft.Extensions.Configuration;
using WaitingRoom.Configuration;
using WaitingRoom.Tests.Infrastructure;
using WaitingRoom.Tests.Security;
using Xunit;

namespace WaitingRoom.Tests.Configuration;

/// <summary>
/// Every WR_* variable with bad values: start-up stops and the message names the variable. The
/// table below is keyed by the reader's own list (<see cref="WaitingRoomOptionsReader.KnownVariables"/>),
/// so a variable added without a row here fails <see cref="Table_CoversEveryKnownVariable"/>.
/// To add a variable: one row with its bad values (and the valid companions they need, if any).
/// </summary>
public sealed class ConfigFuzzTests : IDisposable
{
    private const int Seed = 20261121;
    private const string Start = "2030-01-01T09:00:00Z";
    private const string End = "2030-01-01T12:00:00Z";

    private static readonly (string Name, string Value)[] s_redis = [("WR_REDIS_HOST", "127.0.0.1")];
    private static readonly (string Name, string Value)[] s_tls = [("WR_REDIS_HOST", "127.0.0.1"), ("WR_REDIS_TLS", "true")];
    private static readonly (string Name, string Value)[] s_event = [("WR_EVENT_START", Start), ("WR_EVENT_END", End)];

    private readonly string _badJson = TempFile("{\"rooms\": [ {\"name\": \"sale\", \"path\": \"/sale\", ");
    private readonly string _badRoom = TempFile("{\"rooms\": [ {\"name\": \"sale\", \"path\": \"/sale\", \"maxActive\": -3} ]}");
    private readonly string _notRooms = TempFile("[1, 2, 3]");
    private readonly string _notPem = TempFile("not a certificate");
    private readonly string _noPosition = TempFile("<p>Please wait: {{queueLength}} in line</p>");
    private static readonly (string Name, string Value)[] s_assertion = [("WR_ADMISSION_HEADER", "on")];
    private readonly string _rsaKey = TempFile(System.Security.Cryptography.RSA.Create(2048).ExportPkcs8PrivateKeyPem());
    private readonly string _p384Key = TempFile(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384).ExportECPrivateKeyPem());
    private readonly string _publicKey = TempFile(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfoPem());
    private readonly string _p256Key = TempFile(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem());

    /// <summary>Variables no value of which can stop start-up, and why.</summary>
    private static readonly Dictionary<string, string> s_noBadValue = new(StringComparer.Ordinal)
    {
        ["WR_REDIS_PASS"] = "any string is a possible password",
    };

    /// <summary>Bad values by variable, each with the valid companions it needs to be judged on its own.</summary>
    private Dictionary<string, (string Value, (string Name, string Value)[] With)[]> Table() => new(StringComparer.Ordinal)
    {
        ["WR_MAX_ACTIVE"] = Bad(Integers(1, 10_000_000)),
        ["WR_ACTIVE_TTL"] = Bad(Durations(0.1, 604800)),
        ["WR_RELEASE_INTERVAL"] = Bad(Durations(0.05, 3600)),
        ["WR_COOKIE_NAME"] = Bad("wr token", "wr;token", "wr=token", "wr,token", "tökén", new string('a', 65), "\"q\""),
        ["WR_REDIS_HOST"] = Bad("redis://host", "two words", "host/path"),
        ["WR_REDIS_PORT"] = Bad(Integers(1, 65535)),
        ["WR_REDIS_USER"] = Bad("two words", "a\tb", new string('u', 129)),
        ["WR_REDIS_URL"] = Bad("http://host", "redis://", "not a url", "redis://host/16", "redis://host/abc", "redis:host"),
        ["WR_REDIS_SENTINEL"] = [.. With(s_redis, "my master", "a/b", new string('m', 65)), ("mymaster", [])],
        ["WR_REDIS_TLS"] = [.. With(s_redis, "maybe", "2", "tls"), ("true", [("WR_REDIS_URL", "redis://127.0.0.1:6379")])],
        ["WR_REDIS_TLS_CA"] = With(s_tls, "/nonexistent/ca.pem", _notPem, Path.GetTempPath()),
        ["WR_REDIS_TLS_HOST"] = With(s_tls, "bad host!", "two words", "host/path"),
        ["WR_REDIS_TLS_CERT"] = [.. With(s_tls, "/nonexistent/client.pem"), ("/nonexistent/client.pem", [.. s_tls, ("WR_REDIS_TLS_KEY", _notPem)]), (_notPem, [.. s_tls, ("WR_REDIS_TLS_KEY", _notPem)])],
        ["WR_REDIS_TLS_KEY"] = With(s_tls, _notPem),
        ["WR_REDIS_KEY_PREFIX"] = Bad("a b", "a:b", "{tag}", new string('p', 33), "ü"),
        ["WR_BACKEND_URL"] = Bad("ftp://host", "not a url", "http://user:pw@host", "http://host/?q=1", "http://host/#f", "/relative", "http://a,ftp://b", "host:8080"),
        ["WR_MAIN_URL"] = Bad("//evil.example", "/\\evil.example", "javascript:alert(1)", "ftp://host/", "evil.example", "/a\u0001b", "https:evil.example"),
        ["WR_SECRET"] = Bad("short", "fifteen-chars15"),
        ["WR_QUEUE_TTL"] = Bad(Durations(0.1, 604800)),
        ["WR_ADMISSION_WINDOW"] = Bad(Durations(0.1, 604800)),
        ["WR_NEW_USERS_PER_MINUTE"] = Bad(Integers(0, 10_000_000)),
        ["WR_QUEUE_MODE"] = Bad("lifo", "fifo2", "1", "queue all"),
        ["WR_BYPASS_PATHS"] = Bad("static", "/a,b", "/a/../b", "/ok,..", "https://host/x"),
        ["WR_ADMIN_TOKEN"] = Bad("short", "has spaces in it 0123456789", new string('t', 513), new string('ü', 20), "tab\tinside-0123456789"),
        ["WR_FAILURE_MODE"] = Bad("half", "1", "closed-ish"),
        ["WR_PORT"] = Bad("-1", "65536", "abc", "80.5", "99999999999", "80 80"),
        ["WR_SESSION_MAX"] = Bad(Durations(0, 2592000)),
        ["WR_BYPASS_HEADER"] = Bad("nocolon", "X-Key:short", ":secretsecret", "Bad Header:secretsecret", "X-Key:"),
        ["WR_MAX_NEW_PER_IP_PER_MINUTE"] = Bad(Integers(0, 1_000_000)),
        ["WR_ROOMS_FILE"] = Bad("/nonexistent/rooms.json", _badJson, _badRoom, _notRooms, Path.GetTempPath()),
        ["WR_QUEUE_PAGE"] = Bad("/nonexistent/queue.html", _noPosition, Path.GetTempPath()),
        ["WR_QUEUE_LANGUAGE"] = Bad("tr", "english", "en-US"),
        ["WR_LOAD_BALANCING"] = Bad("weighted", "roundrobin", "first"),
        ["WR_HEALTH_CHECK_PATH"] = Bad("healthz", "http://host/healthz"),
        ["WR_STICKY"] = Bad("maybe", "2", "truee"),
        ["WR_BACKEND_TIMEOUT"] = Bad(Durations(1, 3600)),
        ["WR_SHUTDOWN_TIMEOUT"] = Bad(Durations(0, 3600)),
        ["WR_SHUTDOWN_DELAY"] = [.. Bad(Durations(0, 3600)), ("30", [("WR_SHUTDOWN_TIMEOUT", "20")])],
        ["WR_HEALTH_CHECK_INTERVAL"] = Bad(Durations(0.1, 3600)),
        ["WR_HEALTH_CHECK_TIMEOUT"] = [.. Bad(Durations(0.1, 600)), ("20", [("WR_HEALTH_CHECK_INTERVAL", "10")])],
        ["WR_TRUSTED_PROXIES"] = Bad("10.0.0.0/33", "not-an-ip", "10.0.0.1,x", "300.1.1.1", "::1/129"),
        ["WR_QUEUE_TITLE"] = Bad(new string('t', 201), "two\nlines", "bell\u0007"),
        ["WR_QUEUE_MESSAGE"] = Bad(new string('m', 1001), "two\nlines"),
        ["WR_LOG_FORMAT"] = Bad("jsonl", "plain", "1", "text json"),
        ["WR_EVENT_START"] = [.. Times().Select(v => (v, new[] { ("WR_EVENT_END", End) }))],
        ["WR_EVENT_END"] = [.. Times().Append("2029-12-31T00:00:00Z").Append(Start).Select(v => (v, new[] { ("WR_EVENT_START", Start) }))],
        ["WR_EVENT_PREQUEUE_START"] = [.. Times().Append("2030-01-01T10:00:00Z").Select(v => (v, s_event))],
        ["WR_EVENT_SHUFFLE"] = [("maybe", [.. s_event, ("WR_EVENT_PREQUEUE_START", "2030-01-01T08:00:00Z")]), ("true", s_event)],
        ["WR_EVENT_MAX_ACTIVE"] = With(s_event, Integers(1, 10_000_000)),
        ["WR_EVENT_NEW_USERS_PER_MINUTE"] = With(s_event, Integers(0, 10_000_000)),
        ["WR_EVENT_QUEUE_MODE"] = With(s_event, "lifo", "fifo2"),
        ["WR_EVENT_SESSION_MAX"] = With(s_event, Durations(0, 2592000)),
        ["WR_EVENT_TITLE"] = With(s_event, new string('t', 201), "two\nlines"),
        ["WR_EVENT_MESSAGE"] = With(s_event, new string('m', 1001), "two\nlines"),
        ["WR_ADAPTIVE"] = Bad("maybe", "2", "adaptive"),
        ["WR_MIN_ACTIVE"] = [.. Bad(Integers(1, 10_000_000)), ("101", []), ("20", [("WR_MAX_ACTIVE", "10")])],
        ["WR_ADAPTIVE_TARGET_P95"] = Bad(Durations(0.001, 600)),
        ["WR_ADAPTIVE_MAX_ERRORS"] = Bad("abc", "-0.1", "1.5", "5%", "1e-2", "NaN", "0,05"),
        ["WR_POW"] = Bad("maybe", "1", "true", "automatic"),
        ["WR_POW_DIFFICULTY"] = Bad([.. Integers(1, 32), "18.5"]),
        ["WR_ALLOW_CIDRS"] = Bad("10.0.0.0/33", "office", "10.0.0.1/8", "10", "300.1.1.1", "::1/129", "fe80::1%2", "10.0.0.0/8;192.0.2.0/24"),
        ["WR_DENY_CIDRS"] = Bad("10.0.0.0/33", "bad-net", "192.0.2.7/24", "10.1", "2001:db8::/-1", "example.com"),
        ["WR_CRAWLERS"] = Bad("allow", "yes", "on", "bypass"),
        ["WR_CRAWLER_CIDRS"] = [.. With([("WR_CRAWLERS", "bypass")], "10.0.0.0/33", "googlebot", "66.249.64.1/19"), ("66.249.64.0/19", [])],
        ["WR_QUEUE_STATUS"] = Bad("201", "404", "500", "ok", "200.0", "2OO"),
        ["WR_ADMISSION_HEADER"] = Bad("maybe", "true", "1", "signed"),
        ["WR_ADMISSION_KEY"] = [.. With(s_assertion, "/nonexistent/key.pem", _notPem, Path.GetTempPath(), _rsaKey, _p384Key, _publicKey), (_p256Key, [("WR_ADMISSION_HEADER", "off")])],
        ["WR_ADMISSION_ISSUER"] = [.. With(s_assertion, new string('i', 201), "two words", "tab\there", "ü"), ("waitingroom", [])],
        ["WR_MAX_QUEUE"] = Bad(Integers(0, 1_000_000_000)),
        ["WR_WEBHOOK_URL"] = [.. With([("WR_WEBHOOK_SECRET", "webhook-secret-0123456789")], "ftp://hooks.example", "not a url", "http://u:p@hooks.example/", "http://hooks.example/#f", "/relative"), ("https://hooks.example/in", [])],
        ["WR_WEBHOOK_SECRET"] = [.. With([("WR_WEBHOOK_URL", "https://hooks.example/in")], "short", "fifteen-chars15")],
    };

    [Fact]
    public void Table_CoversEveryKnownVariable()
    {
        // Arrange
        var table = Table();

        // Act
        var missing = WaitingRoomOptionsReader.KnownVariables.Where(v => !table.ContainsKey(v) && !s_noBadValue.ContainsKey(v)).ToList();
        var stale = table.Keys.Concat(s_noBadValue.Keys).Where(v => !WaitingRoomOptionsReader.KnownVariables.Contains(v)).ToList();

        // Assert
        Assert.True(missing.Count == 0, "variables without bad-value cases: " + string.Join(", ", missing));
        Assert.True(stale.Count == 0, "rows for variables the reader does not know: " + string.Join(", ", stale));
        Assert.All(table, row => Assert.NotEmpty(row.Value));
    }

    [Fact]
    public void Read_EachBadValue_StopsNamingTheVariable()
    {
        var checkedCases = 0;
        foreach (var (name, cases) in Table())
        {
            foreach (var (value, with) in cases)
            {
                // Arrange
                var configuration = Configuration([(name, value), .. with]);

                // Act
                var ex = Record.Exception(() => WaitingRoomOptionsReader.Read(configuration));

                // Assert
                Assert.True(ex is WaitingRoomConfigurationException, $"{name}='{value}' was accepted ({ex?.GetType().Name})");
                var error = (WaitingRoomConfigurationException)ex!;
                Assert.True(error.Errors.Any(e => e.Contains(name, StringComparison.Ordinal)), $"{name}='{value}': the message does not name it: {error.Message}");
                Assert.All(error.Errors, e => Assert.DoesNotContain('\n', e));
                checkedCases++;
            }
        }

        Assert.True(checkedCases > 200, $"only {checkedCases} cases");
    }

    [Fact]
    public void Read_SeededCombinationsOfBadValues_NamesEveryOne()
    {
        // Arrange: 300 combinations of 2 to 6 bad variables, at most one per group (events,
        // health checks, Redis, crawlers and the admission assertion judge their variables together).
        var table = Table();
        var names = table.Keys.ToList();
        var random = new Random(Seed);
        for (var round = 0; round < 300; round++)
        {
            var chosen = new Dictionary<string, string>(StringComparer.Ordinal);
            var companions = new Dictionary<string, string>(StringComparer.Ordinal);
            var groups = new HashSet<string>(StringComparer.Ordinal);
            for (var n = random.Next(2, 7); n > 0; n--)
            {
                var name = names[random.Next(names.Count)];
                if (!groups.Add(Group(name)))
                {
                    continue;
                }

                var (value, with) = table[name][random.Next(table[name].Length)];
                if (companions.ContainsKey(name) || with.Any(c => chosen.ContainsKey(c.Item1)))
                {
                    // A variable another one's bad value needs set right cannot be bad in the same round.
                    continue;
                }

                chosen[name] = value;
                foreach (var (companion, companionValue) in with)
                {
                    companions[companion] = companionValue;
                }
            }

            var configuration = Configuration([.. companions.Select(c => (c.Key, c.Value)), .. chosen.Select(c => (c.Key, c.Value))]);

            // Act
            var ex = Record.Exception(() => WaitingRoomOptionsReader.Read(configuration));

            // Assert
            var error = Assert.IsType<WaitingRoomConfigurationException>(ex);
            foreach (var name in chosen.Keys)
            {
                Assert.True(error.Errors.Any(e => e.Contains(name, StringComparison.Ordinal)), $"round {round} (seed {Seed}): {name} not named in: {error.Message}");
            }
        }
    }

    [Fact]
    public void KestrelLimits_BadValues_StopNamingTheVariable()
    {
        (string Key, string Value)[] cases =
        [
            ("MaxRequestHeaderCount", "abc"), ("MaxRequestHeaderCount", "0"), ("MaxRequestHeaderCount", "-1"), ("MaxRequestHeadersTotalSize", "99999999999"),
            ("MaxRequestLineSize", "8k"), ("MaxRequestBodySize", "-5"), ("MaxRequestBodySize", "unlimited"), ("MaxConcurrentConnections", "0"),
            ("RequestHeadersTimeout", "10"), ("RequestHeadersTimeout", "-00:00:01"), ("RequestHeadersTimeout", "00:00:00"), ("KeepAliveTimeout", "2 days"),
            ("MinRequestBodyDataRate:BytesPerSecond", "-1"), ("MinRequestBodyDataRate:BytesPerSecond", "fast"), ("MinRequestBodyDataRate:GracePeriod", "00:00:00.5"),
        ];
        foreach (var (key, value) in cases)
        {
            var configuration = Configuration([("Kestrel:Limits:" + key, value)]);

            var ex = Record.Exception(() => KestrelLimits.Read(configuration));

            var error = Assert.IsType<WaitingRoomConfigurationException>(ex);
            Assert.Contains("Kestrel__Limits__" + key.Replace(":", "__", StringComparison.Ordinal) + "=", error.Message, StringComparison.Ordinal);
        }

        // And good values are taken.
        var limits = KestrelLimits.Read(Configuration([("Kestrel:Limits:MaxRequestHeaderCount", "20"), ("Kestrel:Limits:MaxRequestBodySize", "none"), ("Kestrel:Limits:RequestHeadersTimeout", "00:00:03")]));
        Assert.Equal(20, limits.MaxRequestHeaderCount);
        Assert.Null(limits.MaxRequestBodySize);
        Assert.Equal(TimeSpan.FromSeconds(3), limits.RequestHeadersTimeout);
    }

    [Theory]
    [InlineData("WR_MAX_ACTIVE", "-5")]
    [InlineData("WR_BACKEND_URL", "ftp://host")]
    [InlineData("WR_ROOMS_FILE", "/nonexistent/rooms.json")]
    [InlineData("WR_EVENT_START", "tomorrow")]
    [InlineData("Kestrel__Limits__MaxRequestHeaderCount", "many")]
    public async Task Binary_BadValue_ExitsTwoNamingTheVariableWithoutStackTrace(string name, string value)
    {
        // Arrange
        var variables = new Dictionary<string, string> { [name] = value, ["WR_PORT"] = "0", ["WR_QUEUE_MODE"] = "lifo" };
        if (name == "WR_EVENT_START")
        {
            variables["WR_EVENT_END"] = End;
        }

        using var app = AppProcess.Start(variables);

        // Act
        var exitCode = await app.ExitCodeAsync(TimeSpan.FromSeconds(30));
        var error = app.StandardError;
        var output = app.StandardOutput;

        // Assert: exit 2, one line per bad variable (this one and WR_QUEUE_MODE), no stack trace.
        Assert.Equal(2, exitCode);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l.StartsWith(name + "=", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("WR_QUEUE_MODE=", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", error + output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error + output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_KestrelLimitByVariable_AppliedToRequests()
    {
        // Arrange: the app with MaxRequestHeaderCount lowered from 100 to 20 through the standard variable.
        using var app = await AppProcess.StartAsync(new Dictionary<string, string> { ["Kestrel__Limits__MaxRequestHeaderCount"] = "20" }, readyWithin: TimeSpan.FromSeconds(40));
        static string Request(int headers) =>
            "GET /_wr/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + string.Concat(Enumerable.Range(0, headers).Select(i => $"X-H{i}: v\r\n")) + "Connection: close\r\n\r\n";

        // Act
        var under = await RawHttp.SendAsync(app.Address, Request(15), TimeSpan.FromSeconds(10));
        var over = await RawHttp.SendAsync(app.Address, Request(25), TimeSpan.FromSeconds(10));

        // Assert
        Assert.Equal(200, under.Status);
        Assert.Equal(431, over.Status);
    }

    public void Dispose()
    {
        File.Delete(_badJson);
        File.Delete(_badRoom);
        File.Delete(_notRooms);
        File.Delete(_rsaKey);
        File.Delete(_p384Key);
        File.Delete(_publicKey);
        File.Delete(_p256Key);
    }

    private static string Group(string name) =>
        name.StartsWith("WR_EVENT_", StringComparison.Ordinal) ? "event"
        : name.StartsWith("WR_HEALTH_CHECK_", StringComparison.Ordinal) ? "health"
        : name.StartsWith("WR_REDIS_", StringComparison.Ordinal) ? "redis"
        : name.StartsWith("WR_CRAWLER", StringComparison.Ordinal) ? "crawlers"
        : name.StartsWith("WR_ADMISSION_", StringComparison.Ordinal) ? "assertion"
        : name;

    private static string TempFile(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"wr-fuzz-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, text);
        return path;
    }

    private static IConfiguration Configuration((string Name, string Value)[] variables) =>
        new ConfigurationBuilder().AddInMemoryCollection(variables.Select(v => new KeyValuePair<string, string?>(v.Name, v.Value))).Build();

    private static (string, (string, string)[])[] Bad(params string[] values) => [.. values.Select(v => (v, Array.Empty<(string, string)>()))];

    private static (string, (string, string)[])[] With((string, string)[] with, params string[] values) => [.. values.Select(v => (v, with))];

    /// <summary>Not whole numbers, or out of range: below the minimum, above the maximum, overflowing.</summary>
    private static string[] Integers(int min, int max) =>
        ["abc", "1.5", "-1", "0x10", "1e3", "1 2", "١٢", "99999999999999999999", (max + 1L).ToString(System.Globalization.CultureInfo.InvariantCulture), .. min > 0 ? new[] { (min - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) } : []];

    /// <summary>Not numbers of seconds, or out of range.</summary>
    private static string[] Durations(double min, double max) =>
        ["abc", "-1", "1e3", "NaN", "Infinity", "1,5", "00:00:10", "10s", (max + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), .. min > 0 ? new[] { (min / 2).ToString(System.Globalization.CultureInfo.InvariantCulture) } : []];

    private static string[] Times() => ["tomorrow", "2030-01-01T09:00:00", "2030-13-01T00:00:00Z", "1700000000", "2030-01-01 25:00Z"];
}
