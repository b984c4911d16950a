using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Configuration;

/// <summary>
/// Reads <see cref="WaitingRoomOptions"/> from the WR_* variables and checks every value (the
/// default room's by the rules of every room, <see cref="RoomSettingsValidator"/>). Each bad value
/// becomes one line: the variable, the value and what is allowed. The app gets the result through
/// the options pipeline (<see cref="WaitingRoomOptionsValidator"/>, ValidateOnStart).
/// </summary>
public static class WaitingRoomOptionsReader
{
    /// <summary>Every variable the product reads; anything else starting with WR_ is reported as unknown.</summary>
    public static readonly IReadOnlyList<string> KnownVariables =
    [
        "WR_MAX_ACTIVE", "WR_ACTIVE_TTL", "WR_RELEASE_INTERVAL", "WR_COOKIE_NAME",
        "WR_REDIS_HOST", "WR_REDIS_PORT", "WR_REDIS_USER", "WR_REDIS_PASS", "WR_REDIS_URL", "WR_REDIS_KEY_PREFIX", "WR_REDIS_SENTINEL",
        "WR_REDIS_TLS", "WR_REDIS_TLS_CA", "WR_REDIS_TLS_HOST", "WR_REDIS_TLS_CERT", "WR_REDIS_TLS_KEY",
        "WR_BACKEND_URL", "WR_MAIN_URL", "WR_SECRET", "WR_QUEUE_TTL", "WR_ADMISSION_WINDOW",
        "WR_NEW_USERS_PER_MINUTE", "WR_QUEUE_MODE", "WR_BYPASS_PATHS", "WR_ADMIN_TOKEN", "WR_FAILURE_MODE",
        "WR_PORT", "WR_SESSION_MAX", "WR_BYPASS_HEADER", "WR_MAX_NEW_PER_IP_PER_MINUTE", "WR_ROOMS_FILE",
        "WR_QUEUE_PAGE", "WR_QUEUE_LANGUAGE", "WR_LOAD_BALANCING", "WR_HEALTH_CHECK_PATH", "WR_STICKY", "WR_BACKEND_TIMEOUT",
        "WR_HEALTH_CHECK_INTERVAL", "WR_HEALTH_CHECK_TIMEOUT", "WR_SHUTDOWN_TIMEOUT", "WR_SHUTDOWN_DELAY",
        "WR_TRUSTED_PROXIES", "WR_QUEUE_TITLE", "WR_QUEUE_MESSAGE", "WR_LOG_FORMAT",
        "WR_EVENT_START", "WR_EVENT_END", "WR_EVENT_PREQUEUE_START", "WR_EVENT_SHUFFLE", "WR_EVENT_MAX_ACTIVE",
        "WR_EVENT_NEW_USERS_PER_MINUTE", "WR_EVENT_QUEUE_MODE", "WR_EVENT_SESSION_MAX", "WR_EVENT_TITLE", "WR_EVENT_MESSAGE",
        "WR_ADAPTIVE", "WR_MIN_ACTIVE", "WR_ADAPTIVE_TARGET_P95", "WR_ADAPTIVE_MAX_ERRORS",
    ];


    /// <summary>The default room's settings: the variable, and the key of the same setting in the rooms file.</summary>
    private static readonly (string Variable, string Key)[] s_roomVariables =
    [
        ("WR_MAX_ACTIVE", "maxActive"), ("WR_ACTIVE_TTL", "activeTtl"), ("WR_QUEUE_TTL", "queueTtl"), ("WR_ADMISSION_WINDOW", "admissionWindow"),
        ("WR_QUEUE_MODE", "queueMode"), ("WR_NEW_USERS_PER_MINUTE", "newUsersPerMinute"), ("WR_SESSION_MAX", "sessionMax"),
        ("WR_MAX_NEW_PER_IP_PER_MINUTE", "maxNewPerIpPerMinute"), ("WR_QUEUE_TITLE", "title"), ("WR_QUEUE_MESSAGE", "message"),
    ];

    /// <summary>The default room's event: the variable, and the key of the same setting in a rooms file's event.</summary>
    private static readonly (string Variable, string Key)[] s_eventVariables =
    [
        ("WR_EVENT_START", "start"), ("WR_EVENT_END", "end"), ("WR_EVENT_PREQUEUE_START", "prequeueStart"), ("WR_EVENT_SHUFFLE", "shuffleAtStart"),
        ("WR_EVENT_MAX_ACTIVE", "maxActive"), ("WR_EVENT_NEW_USERS_PER_MINUTE", "newUsersPerMinute"), ("WR_EVENT_QUEUE_MODE", "queueMode"),
        ("WR_EVENT_SESSION_MAX", "sessionMax"), ("WR_EVENT_TITLE", "title"), ("WR_EVENT_MESSAGE", "message"),
    ];

    /// <summary>The default room's adaptive capacity: the variable, and the key of the same setting in a rooms file's <c>adaptive</c>.</summary>
    private static readonly (string Variable, string Key)[] s_adaptiveVariables =
    [
        ("WR_ADAPTIVE", "on"), ("WR_MIN_ACTIVE", "min"), ("WR_ADAPTIVE_TARGET_P95", "targetP95"), ("WR_ADAPTIVE_MAX_ERRORS", "maxErrors"),
    ];

    private static readonly Dictionary<string, string> s_loadBalancingPolicies = new(StringComparer.OrdinalIgnoreCase)
    {
        ["round-robin"] = "RoundRobin",
        ["least-requests"] = "LeastRequests",
        ["power-of-two-choices"] = "PowerOfTwoChoices",
        ["random"] = "Random",
    };

    /// <summary>The WR_LOAD_BALANCING name (round-robin, ...) of a YARP policy name.</summary>
    internal static string LoadBalancingName(string policy) =>
        s_loadBalancingPolicies.FirstOrDefault(p => p.Value == policy).Key ?? policy;

    /// <summary>
    /// Reads and validates the options (and Kestrel's limits).
    /// </summary>
    /// <exception cref="WaitingRoomConfigurationException">One or more variables hold a bad value.</exception>
    public static WaitingRoomOptions Read(IConfiguration configuration, ICollection<string>? warnings = null)
    {
        var (options, errors, found) = Check(configuration);
        if (errors.Count > 0)
        {
            throw new WaitingRoomConfigurationException(errors);
        }

        foreach (var warning in found)
        {
            warnings?.Add(warning);
        }

        return options;
    }

    /// <summary>
    /// The one reading of the configuration behind start-up and <c>--check-config</c>: the options,
    /// one line per bad value of the WR_* variables and of Kestrel's limits, and the remarks.
    /// </summary>
    internal static (WaitingRoomOptions Options, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings) Check(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var reader = new Reader(configuration);
        var options = reader.Read();
        reader.Errors.AddRange(KestrelLimits.Apply(configuration, new Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions().Limits));
        return (options, reader.Errors, reader.Warnings);
    }

    private sealed class Reader(IConfiguration configuration)
    {
        private readonly RoomSettingsValidator _rules = new() { FromVariables = true };

        public List<string> Errors { get; } = [];

        public List<string> Warnings { get; } = [];

        public WaitingRoomOptions Read()
        {
            var room = ReadDefaultRoom();
            var o = new WaitingRoomOptions
            {
                MaxActive = room.MaxActive,
                ActiveTtl = room.ActiveTtl,
                QueueTtl = room.QueueTtl,
                AdmissionWindow = room.AdmissionWindow,
                ReleaseInterval = Seconds("WR_RELEASE_INTERVAL", 2, 0.05, 3600),
                CookieName = Identifier("WR_COOKIE_NAME", "wr_token", 64),
                MainUrl = MainUrl("WR_MAIN_URL"),
                Secret = Secret("WR_SECRET"),
                BypassPaths = Paths("WR_BYPASS_PATHS"),
                FailureMode = Choice("WR_FAILURE_MODE", "closed", ["closed", "open"]) == "open" ? FailureMode.Open : FailureMode.Closed,
                LogFormat = Choice("WR_LOG_FORMAT", Console.IsOutputRedirected ? "json" : "text", ["json", "text"]),
                Port = Value("WR_PORT") is null ? null : Integer("WR_PORT", 8080, 0, 65535),
                QueuePage = QueuePage("WR_QUEUE_PAGE"),
                QueueLanguage = Choice("WR_QUEUE_LANGUAGE", "auto", ["auto", .. Admission.VisitorText.All.Select(t => t.Language)]) is var language && language != "auto" ? language : null,
                BackendUrls = BackendUrls("WR_BACKEND_URL"),
                LoadBalancingPolicy = s_loadBalancingPolicies[Choice("WR_LOAD_BALANCING", "round-robin", [.. s_loadBalancingPolicies.Keys])],
                HealthCheckPath = HealthCheckPath("WR_HEALTH_CHECK_PATH"),
                Sticky = Boolean("WR_STICKY", false),
                BackendTimeout = Seconds("WR_BACKEND_TIMEOUT", 100, 1, 3600),
                ShutdownTimeout = Seconds("WR_SHUTDOWN_TIMEOUT", 25, 0, 3600),
                ShutdownDelay = Seconds("WR_SHUTDOWN_DELAY", 0, 0, 3600),
                HealthCheckInterval = Seconds("WR_HEALTH_CHECK_INTERVAL", 10, 0.1, 3600),
                HealthCheckTimeout = Seconds("WR_HEALTH_CHECK_TIMEOUT", 5, 0.1, 600),
                AdminToken = AdminToken("WR_ADMIN_TOKEN"),
                KeyPrefix = Identifier("WR_REDIS_KEY_PREFIX", "wr", 32),
            };

            ReadBypassHeader(o);
            ReadRedis(o);
            ReadRedisTls(o);
            o.TrustedProxies = Networks("WR_TRUSTED_PROXIES");
            ReadRoomsFile(o, room);
            CheckHealthCheckTimes(o);
            CheckShutdownTimes(o);
            WarnUnknownVariables();
            return o;
        }

        private string? Value(string name)
        {
            var value = configuration[name];
            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }

        private void Fail(string name, string value, string allowed) =>
            Errors.Add($"{name}='{Printable(value)}' is not valid: {allowed}.");

        /// <summary>
        /// The value as it may appear in an error line: credentials inside a URL hidden, control
        /// characters (a line break would split the one-line message) shown as '?', long values cut.
        /// </summary>
        private static string Printable(string value)
        {
            var scheme = value.IndexOf("://", StringComparison.Ordinal);
            var at = scheme < 0 ? -1 : value.IndexOf('@', scheme + 3);
            if (at > 0)
            {
                value = string.Concat(value.AsSpan(0, scheme + 3), "(hidden)", value.AsSpan(at));
            }

            return WaitingRoomConfigurationException.Printable(value, 80);
        }

        private int Integer(string name, int fallback, int min, int max) =>
            Value(name) is { } raw ? Checked(_rules.Integer(Setting(name, raw), name, min, max)) ?? fallback : fallback;

        private TimeSpan Seconds(string name, double fallback, double min, double max) =>
            (Value(name) is { } raw ? Checked(_rules.Duration(Setting(name, raw), name, min, max)) : null) ?? TimeSpan.FromSeconds(fallback);

        private bool Boolean(string name, bool fallback) =>
            Value(name) is { } raw ? Checked(_rules.Boolean(Setting(name, raw), name)) ?? fallback : fallback;

        /// <summary>The value checked by the rules every source of settings shares, its problem (if any) now an error line.</summary>
        private T? Checked<T>(T? value)
            where T : struct
        {
            Flush();
            return value;
        }

        /// <summary>
        /// The problems the shared rules found, in the variables' words: the variable, its value and
        /// what is allowed, another setting named by its variable.
        /// </summary>
        private void Flush()
        {
            foreach (var problem in _rules.Problems)
            {
                var lead = $"{problem.At!.Variable}='{Printable(problem.At.Text)}'";
                Errors.Add(problem.Kind == SettingProblemKind.Expected
                    ? $"{lead} is not valid: expected {(problem.Text.StartsWith("a string: ", StringComparison.Ordinal) ? problem.Text[10..] : problem.Text)}."
                    : $"{lead} {RoomSettingsValidator.Resolve(problem.Text.Replace("{value} ", "", StringComparison.Ordinal), VariableOf, "")}.");
            }

            _rules.Problems.Clear();
        }

        private string Choice(string name, string fallback, string[] allowed)
        {
            var raw = Value(name);
            if (raw is null)
            {
                return fallback;
            }

            foreach (var choice in allowed)
            {
                if (string.Equals(raw, choice, StringComparison.OrdinalIgnoreCase))
                {
                    return choice;
                }
            }

            Fail(name, raw, $"expected one of {string.Join(", ", allowed)}");
            return fallback;
        }

        /// <summary>A name that ends up in a cookie or a Redis key: letters, digits, '_', '-' and '.' only.</summary>
        private string Identifier(string name, string fallback, int maxLength)
        {
            var raw = Value(name);
            if (raw is null)
            {
                return fallback;
            }

            if (raw.Length <= maxLength && raw.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                return raw;
            }

            Fail(name, raw, $"expected 1 to {maxLength} letters, digits, '_', '-' or '.'");
            return fallback;
        }

        private string MainUrl(string name)
        {
            var raw = Value(name);
            if (raw is null)
            {
                return "/";
            }

            if (Admission.RedirectTarget.IsLocalPath(raw) ||
                (Uri.TryCreate(raw, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
            {
                return raw;
            }

            Fail(name, raw, "expected a path starting with '/' (not '//') or an absolute http(s) URL");
            return "/";
        }

        private string? Secret(string name)
        {
            var raw = configuration[name];
            if (string.IsNullOrEmpty(raw))
            {
                return null;
            }

            if (raw.Length >= 16)
            {
                return raw;
            }

            // Never echo a secret, even a short one.
            Errors.Add($"{name}='(hidden, {raw.Length} characters)' is not valid: expected at least 16 characters (a long random string).");
            return null;
        }

        /// <summary>A custom queue page: a readable file that shows the visitor's place ({{position}}).</summary>
        private string? QueuePage(string name)
        {
            var path = Value(name);
            if (path is null)
            {
                return null;
            }

            string page;
            try
            {
                page = File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                Fail(name, path, $"expected a readable HTML file ({ex.Message})");
                return null;
            }

            if (!new Admission.PageTemplate(page).Placeholders.Contains("position", StringComparer.Ordinal))
            {
                Fail(name, path, "expected an HTML page with the {{position}} placeholder (a queue page that does not show the place in line)");
                return null;
            }

            return path;
        }

        private string[] Paths(string name)
        {
            var raw = Value(name);
            if (raw is null)
            {
                return [];
            }

            var paths = raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var path in paths)
            {
                if (!RoomSettingsValidator.IsBypassPath(path))
                {
                    Fail(name, raw, $"expected comma-separated path prefixes ({RoomSettingsValidator.BypassPathExpected}), and '{Printable(path)}' is not one");
                    return [];
                }
            }

            return paths;
        }

        private string? HealthCheckPath(string name)
        {
            var raw = Value(name);
            if (raw is null || raw.StartsWith('/'))
            {
                return raw;
            }

            Fail(name, raw, "expected a path starting with '/'");
            return null;
        }

        private Uri[] BackendUrls(string name)
        {
            var raw = Value(name);
            if (raw is null)
            {
                return [];
            }

            var urls = new List<Uri>();
            foreach (var part in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (Proxy.ProxyConfiguration.IsBackendUrl(part, out var uri))
                {
                    urls.Add(uri);
                }
                else
                {
                    Fail(name, raw, $"expected comma-separated absolute http(s) URLs without query or credentials, and '{Printable(part)}' is not one");
                    return [];
                }
            }

            return [.. urls];
        }

        private void ReadBypassHeader(WaitingRoomOptions o)
        {
            const string name = "WR_BYPASS_HEADER";
            var raw = configuration[name];
            if (string.IsNullOrWhiteSpace(raw))
            {
                return;
            }

            var colon = raw.IndexOf(':', StringComparison.Ordinal);
            var header = colon > 0 ? raw[..colon].Trim() : "";
            var secret = colon > 0 ? raw[(colon + 1)..].Trim() : "";
            if (header.Length == 0 || !header.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') || secret.Length < 8)
            {
                Errors.Add($"{name}='(hidden)' is not valid: expected Name:secret, a header name of letters, digits and '-', and a secret of at least 8 characters.");
                return;
            }

            o.BypassHeaderName = header;
            o.BypassHeaderValue = secret;
        }

        private void ReadRedis(WaitingRoomOptions o)
        {
            var host = Value("WR_REDIS_HOST");
            var url = Value("WR_REDIS_URL");
            var sentinel = Value("WR_REDIS_SENTINEL");
            o.RedisUser = Value("WR_REDIS_USER");
            if (o.RedisUser is { } user && !IsAclUserName(user))
            {
                Fail("WR_REDIS_USER", user, "expected a Redis ACL user name (no spaces or control characters, at most 128)");
                o.RedisUser = null;
            }

            o.RedisPassword = configuration["WR_REDIS_PASS"] is { Length: > 0 } pass ? pass : null;

            // With Sentinel, WR_REDIS_HOST lists the sentinels, whose port is 26379 unless given.
            o.RedisPort = Integer("WR_REDIS_PORT", sentinel is null ? 6379 : 26379, 1, 65535);
            if (sentinel is not null)
            {
                if (!IsSentinelName(sentinel))
                {
                    Fail("WR_REDIS_SENTINEL", sentinel, "expected the master name the sentinels monitor (letters, digits, '.', '-', '_', at most 64)");
                }
                else if (host is null)
                {
                    Errors.Add($"WR_REDIS_SENTINEL='{Printable(sentinel)}' needs WR_REDIS_HOST: list the sentinels there (host[:port], comma-separated, port 26379 by default).");
                }
                else
                {
                    o.RedisSentinel = sentinel;
                }
            }

            if (url is not null)
            {
                if (host is not null)
                {
                    Errors.Add($"WR_REDIS_URL and WR_REDIS_HOST='{Printable(host)}' are both set: set one of them, not both.");
                }

                // The URL's user (redis://user:pass@host) wins over WR_REDIS_USER, as its password does over WR_REDIS_PASS.
                if (ReadRedisUrl(o, url) is { } urlUser)
                {
                    o.RedisUser = urlUser;
                }
            }
            else
            {
                if (host is not null)
                {
                    if (RedisEndpointList.TryParse(host, o.RedisPort, out var endpoints))
                    {
                        o.RedisEndpoints = endpoints;
                    }
                    else
                    {
                        Fail("WR_REDIS_HOST", host, RedisEndpointList.Allowed);
                    }
                }

                o.RedisHost = host;
            }
        }

        private static bool IsAclUserName(string name) =>
            name.Length <= 128 && !name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));

        private static bool IsSentinelName(string name) =>
            name.Length <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

        /// <summary>Reads host, port, TLS, password and database from the URL; returns the user name it carries, if any.</summary>
        private string? ReadRedisUrl(WaitingRoomOptions o, string url)
        {
            string? user = null;
            const string allowed = "expected redis://[[user]:password@]host[:port][/db] or rediss://... (TLS)";
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "redis" && uri.Scheme != "rediss") || string.IsNullOrEmpty(uri.Host))
            {
                Errors.Add($"WR_REDIS_URL='(hidden)' is not valid: {allowed}.");
                return null;
            }

            o.RedisHost = uri.Host;
            o.RedisPort = uri.IsDefaultPort || uri.Port <= 0 ? 6379 : uri.Port;
            o.RedisSsl = uri.Scheme == "rediss";
            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
                var urlUser = Uri.UnescapeDataString(colon >= 0 ? uri.UserInfo[..colon] : uri.UserInfo);
                var urlPass = colon >= 0 ? Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]) : null;
                if (urlUser.Length > 0)
                {
                    user = urlUser;
                }

                o.RedisPassword = string.IsNullOrEmpty(urlPass) ? o.RedisPassword : urlPass;
            }

            var db = uri.AbsolutePath.Trim('/');
            if (db.Length > 0)
            {
                if (int.TryParse(db, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 0 and <= 15)
                {
                    o.RedisDatabase = number;
                }
                else
                {
                    Errors.Add($"WR_REDIS_URL='(hidden)' is not valid: the database after the host must be a number from 0 to 15, not '{Printable(db)}'.");
                }
            }

            return user;
        }

        /// <summary>
        /// TLS to Redis: WR_REDIS_TLS (with WR_REDIS_HOST; a WR_REDIS_URL's scheme decides by itself),
        /// the private CA to trust (WR_REDIS_TLS_CA), the name the server certificate must carry
        /// (WR_REDIS_TLS_HOST) and a client certificate (WR_REDIS_TLS_CERT and WR_REDIS_TLS_KEY).
        /// A TLS variable that would have no effect stops start-up rather than being ignored.
        /// </summary>
        private void ReadRedisTls(WaitingRoomOptions o)
        {
            if (o.RedisHost is null && Value("WR_REDIS_URL") is not null)
            {
                // A WR_REDIS_URL that could not be read has its own error line.
                return;
            }

            if (Value("WR_REDIS_TLS") is { } raw)
            {
                var tls = Boolean("WR_REDIS_TLS", false);
                if (Value("WR_REDIS_URL") is null)
                {
                    o.RedisSsl = tls;
                }
                else if (tls != o.RedisSsl)
                {
                    Fail("WR_REDIS_TLS", raw, $"WR_REDIS_URL is set and its scheme decides TLS ({(o.RedisSsl ? "rediss://, TLS on" : "redis://, TLS off")}): use rediss:// for TLS and leave WR_REDIS_TLS unset");
                }
            }

            string[] names = ["WR_REDIS_TLS_CA", "WR_REDIS_TLS_HOST", "WR_REDIS_TLS_CERT", "WR_REDIS_TLS_KEY"];
            if (o.RedisHost is null && o.RedisSsl)
            {
                names = ["WR_REDIS_TLS", .. names];
            }

            if (o.RedisHost is null || !o.RedisSsl)
            {
                foreach (var name in names.Where(n => Value(n) is not null))
                {
                    Errors.Add(o.RedisHost is null
                        ? $"{name} is set but no Redis is (WR_REDIS_HOST and WR_REDIS_URL are unset): set the Redis to connect to, or unset {name}."
                        : $"{name} is set but TLS to Redis is off: set WR_REDIS_TLS=true (or use a rediss:// URL in WR_REDIS_URL), or unset {name}.");
                }

                return;
            }

            if (Value("WR_REDIS_TLS_CA") is { } ca)
            {
                o.RedisTlsCaFile = ca;
                o.RedisTlsRoots = CertificateFile("WR_REDIS_TLS_CA", ca);
            }

            if (Value("WR_REDIS_TLS_HOST") is { } host)
            {
                if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
                {
                    Fail("WR_REDIS_TLS_HOST", host, "expected the host name (or address) the Redis server certificate names");
                }
                else
                {
                    o.RedisTlsHost = host;
                }
            }

            var certificate = Value("WR_REDIS_TLS_CERT");
            var key = Value("WR_REDIS_TLS_KEY");
            if ((certificate is null) != (key is null))
            {
                Errors.Add($"{(certificate is null ? "WR_REDIS_TLS_KEY" : "WR_REDIS_TLS_CERT")} is set without {(certificate is null ? "WR_REDIS_TLS_CERT" : "WR_REDIS_TLS_KEY")}: a client certificate needs both files (PEM).");
            }
            else if (certificate is not null && key is not null && CertificateFile("WR_REDIS_TLS_CERT", certificate) is not null)
            {
                try
                {
                    o.RedisTlsClientCertificate = X509Certificate2.CreateFromPemFile(certificate, key);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
                {
                    Fail("WR_REDIS_TLS_KEY", key, $"expected the PEM private key of the certificate in WR_REDIS_TLS_CERT ({FirstLine(ex.Message)})");
                }
            }
        }

        /// <summary>The certificates of a PEM file; null (and one error naming the variable) when there are none or it cannot be read.</summary>
        private X509Certificate2Collection? CertificateFile(string name, string path)
        {
            var certificates = new X509Certificate2Collection();
            try
            {
                certificates.ImportFromPemFile(path);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                Fail(name, path, "expected the path of a PEM certificate file; there is no such file");
                return null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                Fail(name, path, $"expected a readable PEM certificate file ({FirstLine(ex.Message)})");
                return null;
            }

            if (certificates.Count == 0)
            {
                Fail(name, path, "expected a PEM certificate file (-----BEGIN CERTIFICATE-----); it holds no certificate");
                return null;
            }

            return certificates;
        }

        private static string FirstLine(string message) =>
            message.Split('\n', 2)[0].Trim().TrimEnd('.');

        /// <summary>
        /// The default room from the WR_* variables (with its event, if WR_EVENT_START is set), checked
        /// by the rules of every room (<see cref="RoomSettingsValidator"/>).
        /// </summary>
        private RoomSettings ReadDefaultRoom()
        {
            var room = new RoomSettings { Name = RoomPolicy.DefaultName };
            foreach (var (variable, key) in s_roomVariables)
            {
                if (Value(variable) is { } raw)
                {
                    _rules.Apply(room, key, Setting(variable, raw));
                }
            }

            var e = new SettingNode(System.Text.Json.JsonTokenType.StartObject, 0);
            foreach (var (variable, key) in s_eventVariables)
            {
                if (Value(variable) is { } raw)
                {
                    e.Members.Add(new(key, 0, Setting(variable, raw)));
                }
            }

            // After WR_MAX_ACTIVE, so the bounds are checked against the room's capacity.
            var adaptive = new SettingNode(System.Text.Json.JsonTokenType.StartObject, 0);
            foreach (var (variable, key) in s_adaptiveVariables)
            {
                if (Value(variable) is { } raw)
                {
                    adaptive.Members.Add(new(key, 0, Setting(variable, raw)));
                }
            }

            if (adaptive.Members.Count > 0)
            {
                _rules.Apply(room, "adaptive", adaptive);
                _rules.CheckAdaptive(room);
            }

            room.Event = e.Members.Count > 0 ? _rules.Event(e) : null;
            if (room.Event is not null && !(e.Members.Exists(m => m.Name == "start") && e.Members.Exists(m => m.Name == "end")))
            {
                // An event needs both ends; the other event variables are still checked.
                room.Event = null;
                _rules.Problems.RemoveAll(p => p.At is null);
                var set = e.Members.Select(m => m.Value.Variable!).ToList();
                if (!_rules.Problems.Exists(p => p.At?.Variable is "WR_EVENT_START" or "WR_EVENT_END"))
                {
                    Errors.Add($"WR_EVENT_START and WR_EVENT_END are both needed for an event, and {string.Join(", ", set)} {(set.Count == 1 ? "is" : "are")} set without them.");
                }
            }

            Flush();
            return room;
        }

        /// <summary>The default room, then the rooms of WR_ROOMS_FILE, which inherit the default room's numbers.</summary>
        private void ReadRoomsFile(WaitingRoomOptions o, RoomSettings room)
        {
            var rooms = new List<RoomSettings> { room };
            o.RoomsFile = Value("WR_ROOMS_FILE");
            if (o.RoomsFile is { } file)
            {
                var problems = new List<string>();
                rooms.AddRange(RoomsFileReader.Read(file, room, problems));
                foreach (var problem in problems)
                {
                    Errors.Add($"WR_ROOMS_FILE='{Printable(file)}' is not valid: {problem}");
                }
            }

            o.Rooms = rooms;
        }

        private static SettingNode Setting(string variable, string raw) =>
            new(System.Text.Json.JsonTokenType.String, 0, variable) { Text = raw };

        /// <summary>The variable of a room setting's key (<c>event.start</c> is WR_EVENT_START).</summary>
        private static string VariableOf(string key) =>
            key.StartsWith("event.", StringComparison.Ordinal) ? s_eventVariables.First(v => v.Key == key[6..]).Variable
            : key.StartsWith("adaptive.", StringComparison.Ordinal) ? s_adaptiveVariables.First(v => v.Key == key[9..]).Variable
            : s_roomVariables.First(v => v.Key == key).Variable;

        /// <summary>Comma-separated addresses (a single host) or networks in CIDR notation.</summary>
        private System.Net.IPNetwork[] Networks(string name)
        {
            var raw = Value(name);
            if (raw is null)
            {
                return [];
            }

            var networks = new List<System.Net.IPNetwork>();
            foreach (var part in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (System.Net.IPNetwork.TryParse(part, out var network))
                {
                    networks.Add(network);
                }
                else if (System.Net.IPAddress.TryParse(part, out var address))
                {
                    networks.Add(new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
                }
                else
                {
                    Fail(name, raw, $"expected comma-separated IP addresses or networks (10.0.0.0/8), and '{Printable(part)}' is not one");
                    return [];
                }
            }

            return [.. networks];
        }

        /// <summary>
        /// WR_ADMIN_TOKEN: the admin API's bearer token. Short tokens are refused: the API can
        /// change capacity and backends, so the token must not be guessable.
        /// </summary>
        private string? AdminToken(string name)
        {
            var raw = configuration[name];
            if (string.IsNullOrEmpty(raw))
            {
                return null;
            }

            if (raw.Length < 16 || raw.Length > 512 || raw.Any(c => c <= ' ' || c > '~'))
            {
                Errors.Add($"{name}='(hidden)' is not valid: expected 16 to 512 printable ASCII characters without spaces (e.g. from `openssl rand -hex 32`).");
                return null;
            }

            return raw;
        }

        /// <summary>The delay before the listener closes is part of the shutdown timeout, so it must leave time for the requests in flight.</summary>
        private void CheckShutdownTimes(WaitingRoomOptions o)
        {
            if (o.ShutdownDelay > TimeSpan.Zero && o.ShutdownDelay >= o.ShutdownTimeout && Value("WR_SHUTDOWN_DELAY") is { } raw)
            {
                Fail("WR_SHUTDOWN_DELAY", raw, $"expected less than WR_SHUTDOWN_TIMEOUT ({o.ShutdownTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s), which it is part of");
            }
        }

        private void CheckHealthCheckTimes(WaitingRoomOptions o)
        {
            if (o.HealthCheckTimeout > o.HealthCheckInterval && Value("WR_HEALTH_CHECK_TIMEOUT") is { } timeout)
            {
                Fail("WR_HEALTH_CHECK_TIMEOUT", timeout, $"expected at most WR_HEALTH_CHECK_INTERVAL ({o.HealthCheckInterval.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s), or one probe would overlap the next");
            }
        }

        private void WarnUnknownVariables()
        {
            foreach (var entry in configuration.AsEnumerable())
            {
                if (entry.Key.StartsWith("WR_", StringComparison.Ordinal) &&
                    !entry.Key.StartsWith("WR_TEST_", StringComparison.Ordinal) &&
                    !entry.Key.Contains(':', StringComparison.Ordinal) &&
                    !KnownVariables.Contains(entry.Key))
                {
                    Warnings.Add($"{entry.Key} is not a WaitingRoom variable and is ignored (a typo?).");
                }
            }
        }
    }
}
