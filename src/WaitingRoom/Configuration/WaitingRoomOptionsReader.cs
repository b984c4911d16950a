using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
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
        "WR_POW", "WR_POW_DIFFICULTY",
        "WR_ALLOW_CIDRS", "WR_DENY_CIDRS", "WR_CRAWLERS", "WR_CRAWLER_CIDRS", "WR_QUEUE_STATUS",
        "WR_ADMISSION_HEADER", "WR_ADMISSION_KEY", "WR_ADMISSION_ISSUER",
        "WR_MAX_QUEUE", "WR_WEBHOOK_URL", "WR_WEBHOOK_SECRET",
    ];

    private static readonly Dictionary<string, string> s_loadBalancingPolicies = new(StringComparer.OrdinalIgnoreCase)
    {
        ["round-robin"] = "RoundRobin",
        ["least-requests"] = "LeastRequests",
        ["power-of-two-choices"] = "PowerOfTwoChoices",
        ["random"] = "Random",
    };

    /// <summary>Reads a value of a variable; false when the text is not one.</summary>
    private delegate bool Parser<T>(string text, out T value);

    /// <summary>The WR_LOAD_BALANCING name (round-robin, ...) of a YARP policy name.</summary>
    internal static string LoadBalancingName(string policy) =>
        s_loadBalancingPolicies.FirstOrDefault(p => p.Value == policy).Key ?? policy;

    /// <summary>Reads and validates the options (and Kestrel's limits).</summary>
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
        private readonly RoomSettingsValidator _rules = new();

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
                MainUrl = Text("WR_MAIN_URL", IsMainUrl, "expected a path starting with '/' (not '//') or an absolute http(s) URL") ?? "/",
                Secret = Secret("WR_SECRET", 16, "at least 16 characters (a long random string)"),
                BypassPaths = List("WR_BYPASS_PATHS", (string text, out string path) => RoomSettingsValidator.IsBypassPath(path = text),
                    $"expected comma-separated path prefixes ({RoomSettingsValidator.BypassPathExpected})"),
                FailureMode = Choice("WR_FAILURE_MODE", "closed", ["closed", "open"]) == "open" ? FailureMode.Open : FailureMode.Closed,
                LogFormat = Choice("WR_LOG_FORMAT", Console.IsOutputRedirected ? "json" : "text", ["json", "text"]),
                Port = Value("WR_PORT") is null ? null : Integer("WR_PORT", 8080, 0, 65535),
                QueuePage = QueuePage("WR_QUEUE_PAGE"),
                QueueLanguage = Choice("WR_QUEUE_LANGUAGE", "auto", ["auto", .. QueueLanguages()]) is var language && language != "auto" ? language : null,
                BackendUrls = List<Uri?>("WR_BACKEND_URL", Proxy.ProxyConfiguration.IsBackendUrl, "expected comma-separated absolute http(s) URLs without query or credentials")!,
                LoadBalancingPolicy = s_loadBalancingPolicies[Choice("WR_LOAD_BALANCING", "round-robin", [.. s_loadBalancingPolicies.Keys])],
                HealthCheckPath = Text("WR_HEALTH_CHECK_PATH", path => path.StartsWith('/'), "expected a path starting with '/'"),
                Sticky = Boolean("WR_STICKY", false),
                BackendTimeout = Seconds("WR_BACKEND_TIMEOUT", 100, 1, 3600),
                ShutdownTimeout = Seconds("WR_SHUTDOWN_TIMEOUT", 25, 0, 3600),
                ShutdownDelay = Seconds("WR_SHUTDOWN_DELAY", 0, 0, 3600),
                HealthCheckInterval = Seconds("WR_HEALTH_CHECK_INTERVAL", 10, 0.1, 3600),
                HealthCheckTimeout = Seconds("WR_HEALTH_CHECK_TIMEOUT", 5, 0.1, 600),
                AdminToken = Secret("WR_ADMIN_TOKEN", 16, "16 to 512 printable ASCII characters without spaces (e.g. from `openssl rand -hex 32`)",
                    t => t.Length <= 512 && t.All(c => c is > ' ' and <= '~')),
                KeyPrefix = Identifier("WR_REDIS_KEY_PREFIX", "wr", 32),
            };

            ReadBypassHeader(o);
            ReadProofOfWork(o);
            ReadAdmissionAssertion(o);
            ReadRedis(o);
            ReadRedisTls(o);
            o.TrustedProxies = List<IPNetwork>("WR_TRUSTED_PROXIES", IsNetwork, "expected comma-separated IP addresses or networks (10.0.0.0/8)");
            ReadAccess(o);
            o.RoomsFile = Value("WR_ROOMS_FILE");
            o.Rooms = [room, .. o.RoomsFile is { } file ? RoomsFile(file, room) : []];
            ReadWebhooks(o);
            if (o.HealthCheckTimeout > o.HealthCheckInterval && Value("WR_HEALTH_CHECK_TIMEOUT") is { } timeout)
            {
                Fail("WR_HEALTH_CHECK_TIMEOUT", timeout, $"expected at most WR_HEALTH_CHECK_INTERVAL ({Seconds(o.HealthCheckInterval)} s), or one probe would overlap the next");
            }

            // The delay before the listener closes is part of the shutdown timeout, so it must leave time for the requests in flight.
            if (o.ShutdownDelay > TimeSpan.Zero && o.ShutdownDelay >= o.ShutdownTimeout && Value("WR_SHUTDOWN_DELAY") is { } delay)
            {
                Fail("WR_SHUTDOWN_DELAY", delay, $"expected less than WR_SHUTDOWN_TIMEOUT ({Seconds(o.ShutdownTimeout)} s), which it is part of");
            }

            foreach (var (key, _) in configuration.AsEnumerable())
            {
                if (key.StartsWith("WR_", StringComparison.Ordinal) && !key.StartsWith("WR_TEST_", StringComparison.Ordinal) &&
                    !key.Contains(':', StringComparison.Ordinal) && !KnownVariables.Contains(key))
                {
                    Warnings.Add($"{key} is not a WaitingRoom variable and is ignored (a typo?).");
                }
            }

            return o;
        }

        private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString(CultureInfo.InvariantCulture);

        private static bool IsMainUrl(string url) =>
            Admission.RedirectTarget.IsLocalPath(url) ||
            (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps));

        /// <summary>An address (a single host) or a network in CIDR notation.</summary>
        private static bool IsNetwork(string text, out IPNetwork network)
        {
            if (IPNetwork.TryParse(text, out network))
            {
                return true;
            }

            var isAddress = IPAddress.TryParse(text, out var address);
            network = isAddress ? new IPNetwork(address!, address!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128) : default;
            return isAddress;
        }

        private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim().TrimEnd('.');

        private string? Value(string name) => configuration[name] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

        /// <summary>True, and an error line naming the variable and its value, when there is a <paramref name="problem"/> (what is allowed).</summary>
        private bool Fail(string name, string? value, string? problem)
        {
            if (problem is not null)
            {
                Errors.Add($"{name}='{WaitingRoomConfigurationException.Shown(value!)}' is not valid: {problem}.");
            }

            return problem is not null;
        }

        private static SettingNode Setting(string name, string raw) => new(JsonTokenType.String, 0, name) { Text = raw };

        private int Integer(string name, int fallback, int min, int max) =>
            Value(name) is { } raw ? Flushed(_rules.Integer(Setting(name, raw), name, min, max)) ?? fallback : fallback;

        private TimeSpan Seconds(string name, double fallback, double min, double max) =>
            (Value(name) is { } raw ? Flushed(_rules.Duration(Setting(name, raw), name, min, max)) : null) ?? TimeSpan.FromSeconds(fallback);

        private bool Boolean(string name, bool fallback) =>
            Value(name) is { } raw ? Flushed(_rules.Boolean(Setting(name, raw), name)) ?? fallback : fallback;

        /// <summary>The value checked by the rules every source of settings shares, its problem (if any) now an error line.</summary>
        private T? Flushed<T>(T? value)
            where T : struct
        {
            Flush();
            return value;
        }

        private void Flush()
        {
            Errors.AddRange(_rules.Problems.Select(p => p.Text));
            _rules.Problems.Clear();
        }

        /// <summary>The value when <paramref name="isValid"/>; null (and an error line) when not, or when the variable is unset.</summary>
        private string? Text(string name, Func<string, bool> isValid, string allowed)
        {
            var raw = Value(name);
            return Fail(name, raw, raw is not null && !isValid(raw) ? allowed : null) ? null : raw;
        }

        private string Choice(string name, string fallback, string[] allowed)
        {
            var raw = Text(name, text => allowed.Contains(text, StringComparer.OrdinalIgnoreCase), $"expected one of {string.Join(", ", allowed)}");
            return raw is null ? fallback : allowed.First(choice => string.Equals(choice, raw, StringComparison.OrdinalIgnoreCase));
        }

        /// <summary>A name that ends up in a cookie or a Redis key: letters, digits, '_', '-' and '.' only.</summary>
        private string Identifier(string name, string fallback, int maxLength) =>
            Text(name, text => text.Length <= maxLength && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'), $"expected 1 to {maxLength} letters, digits, '_', '-' or '.'") ?? fallback;

        /// <summary>A secret of at least <paramref name="minLength"/> characters; its value is never echoed, even a short one.</summary>
        private string? Secret(string name, int minLength, string expected, Func<string, bool>? isValid = null)
        {
            var raw = configuration[name];
            if (string.IsNullOrEmpty(raw) || (raw.Length >= minLength && (isValid?.Invoke(raw) ?? true)))
            {
                return string.IsNullOrEmpty(raw) ? null : raw;
            }

            Errors.Add($"{name}='(hidden{(isValid is null ? $", {raw.Length} characters" : "")})' is not valid: expected {expected}.");
            return null;
        }

        /// <summary>Comma-separated values, each read by <paramref name="parse"/>; empty (and one error line naming the bad part) when one is not.</summary>
        private T[] List<T>(string name, Parser<T> parse, string allowed)
        {
            var raw = Value(name);
            var values = new List<T>();
            foreach (var part in raw?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [])
            {
                if (!parse(part, out var value))
                {
                    Fail(name, raw!, $"{allowed}, and '{WaitingRoomConfigurationException.Shown(part)}' is not one");
                    return [];
                }

                values.Add(value);
            }

            return [.. values];
        }

        /// <summary>The languages WR_QUEUE_LANGUAGE may force: the shipped ones and those of a translation file in the app's wwwroot/i18n.</summary>
        private static string[] QueueLanguages()
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "wwwroot", Admission.VisitorPages.TranslationFolder);
            var files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>() : [];
            return [.. Admission.VisitorText.All.Select(t => t.Language).Concat(files.Where(Admission.TranslationFile.IsLanguage)).Distinct(StringComparer.Ordinal)];
        }

        /// <summary>A custom queue page: a readable file that shows the visitor's place ({{position}}).</summary>
        private string? QueuePage(string name)
        {
            var path = Value(name);
            string? problem;
            try
            {
                problem = path is null || new Admission.PageTemplate(File.ReadAllText(path)).Placeholders.Contains("position", StringComparer.Ordinal)
                    ? null
                    : "expected an HTML page with the {{position}} placeholder (a queue page that does not show the place in line)";
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                problem = $"expected a readable HTML file ({ex.Message})";
            }

            return Fail(name, path, problem) ? null : path;
        }

        /// <summary>
        /// The address lists, the crawler mode and the queue page's status. A crawler bypass without
        /// the crawlers' networks would trust the user agent alone, so it stops start-up, as do
        /// crawler networks that would have no effect.
        /// </summary>
        private void ReadAccess(WaitingRoomOptions o)
        {
            o.AllowCidrs = Networks("WR_ALLOW_CIDRS");
            o.DenyCidrs = Networks("WR_DENY_CIDRS");
            o.CrawlerCidrs = Networks("WR_CRAWLER_CIDRS");
            o.Crawlers = Choice("WR_CRAWLERS", "unavailable", ["unavailable", "queue", "bypass"]) switch
            {
                "queue" => Access.CrawlerMode.Queue,
                "bypass" => Access.CrawlerMode.Bypass,
                _ => Access.CrawlerMode.Unavailable,
            };
            if (o.Crawlers == Access.CrawlerMode.Bypass && Value("WR_CRAWLER_CIDRS") is null)
            {
                Errors.Add("WR_CRAWLERS='bypass' needs WR_CRAWLER_CIDRS: list the crawlers' published networks (a user agent alone is never trusted for a bypass).");
            }
            else if (o.Crawlers != Access.CrawlerMode.Bypass && Value("WR_CRAWLER_CIDRS") is { } crawlers)
            {
                Fail("WR_CRAWLER_CIDRS", crawlers, "it only applies with WR_CRAWLERS=bypass: set WR_CRAWLERS=bypass, or unset WR_CRAWLER_CIDRS");
            }

            o.QueueStatus = Choice("WR_QUEUE_STATUS", "200", ["200", "202", "429", "503"]) switch
            {
                "202" => 202,
                "429" => 429,
                "503" => 503,
                _ => 200,
            };
        }

        private Access.NetworkList Networks(string name) =>
            new(List<IPNetwork>(name, Access.NetworkList.TryParse, "expected comma-separated IPv4 or IPv6 addresses or networks without host bits (10.0.0.0/8, 2001:db8::/32)"));

        /// <summary>WR_WEBHOOK_SECRET: every webhook is signed, so a webhook URL (WR_WEBHOOK_URL or a room's webhookUrl) without it stops start-up.</summary>
        private void ReadWebhooks(WaitingRoomOptions o)
        {
            o.WebhookSecret = Secret("WR_WEBHOOK_SECRET", 16, "at least 16 characters (a long random string, e.g. from `openssl rand -hex 32`)");
            if (!string.IsNullOrEmpty(configuration["WR_WEBHOOK_SECRET"]) || o.Rooms.FirstOrDefault(r => r.WebhookUrl is not null) is not { } hooked)
            {
                return;
            }

            var source = hooked.Name == RoomPolicy.DefaultName ? "WR_WEBHOOK_URL is set" : $"room '{hooked.Name}' of WR_ROOMS_FILE has a webhookUrl";
            Errors.Add($"{source} but WR_WEBHOOK_SECRET is not: every webhook is signed (WR-Signature), so set WR_WEBHOOK_SECRET to a long random string.");
        }

        private void ReadBypassHeader(WaitingRoomOptions o)
        {
            var raw = configuration["WR_BYPASS_HEADER"];
            if (string.IsNullOrWhiteSpace(raw))
            {
                return;
            }

            var colon = raw.IndexOf(':', StringComparison.Ordinal);
            var header = colon > 0 ? raw[..colon].Trim() : "";
            var secret = colon > 0 ? raw[(colon + 1)..].Trim() : "";
            if (header.Length == 0 || !header.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') || secret.Length < 8)
            {
                Errors.Add("WR_BYPASS_HEADER='(hidden)' is not valid: expected Name:secret, a header name of letters, digits and '-', and a secret of at least 8 characters.");
                return;
            }

            (o.BypassHeaderName, o.BypassHeaderValue) = (header, secret);
        }

        /// <summary>WR_POW and its highest difficulty; a difficulty set while the step is off has no effect, which is said.</summary>
        private void ReadProofOfWork(WaitingRoomOptions o)
        {
            o.ProofOfWork = Choice("WR_POW", "off", ["off", "auto", "on"]) switch
            {
                "on" => ProofOfWork.ProofOfWorkMode.On,
                "auto" => ProofOfWork.ProofOfWorkMode.Auto,
                _ => ProofOfWork.ProofOfWorkMode.Off,
            };
            o.ProofOfWorkDifficulty = Integer("WR_POW_DIFFICULTY", ProofOfWork.ProofOfWorkChallenges.DefaultDifficulty, 1, ProofOfWork.ProofOfWorkChallenges.MaxDifficulty);
            if (o.ProofOfWork == ProofOfWork.ProofOfWorkMode.Off && Value("WR_POW_DIFFICULTY") is not null)
            {
                Warnings.Add("WR_POW_DIFFICULTY is set but WR_POW is off: no visitor is asked for a proof of work (set WR_POW=auto or on).");
            }
        }

        private void ReadRedis(WaitingRoomOptions o)
        {
            var host = Value("WR_REDIS_HOST");
            var url = Value("WR_REDIS_URL");
            var sentinel = Value("WR_REDIS_SENTINEL");
            o.RedisUser = Text("WR_REDIS_USER", user => user.Length <= 128 && !user.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)),
                "expected a Redis ACL user name (no spaces or control characters, at most 128)");
            o.RedisPassword = configuration["WR_REDIS_PASS"] is { Length: > 0 } pass ? pass : null;

            // With Sentinel, WR_REDIS_HOST lists the sentinels, whose port is 26379 unless given.
            o.RedisPort = Integer("WR_REDIS_PORT", sentinel is null ? 6379 : 26379, 1, 65535);
            var sentinelName = "expected the master name the sentinels monitor (letters, digits, '.', '-', '_', at most 64)";
            if (Text("WR_REDIS_SENTINEL", name => name.Length <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'), sentinelName) is { } master)
            {
                if (host is null)
                {
                    Errors.Add($"WR_REDIS_SENTINEL='{WaitingRoomConfigurationException.Shown(master)}' needs WR_REDIS_HOST: list the sentinels there (host[:port], comma-separated, port 26379 by default).");
                }
                else
                {
                    o.RedisSentinel = master;
                }
            }

            o.RedisHost = url is null ? host : null;
            if (url is null && host is not null && RedisEndpointList.TryParse(host, o.RedisPort, out var endpoints))
            {
                o.RedisEndpoints = endpoints;
            }
            else if (url is null && host is not null)
            {
                Fail("WR_REDIS_HOST", host, RedisEndpointList.Allowed);
            }
            else if (url is not null && host is not null)
            {
                Errors.Add($"WR_REDIS_URL and WR_REDIS_HOST='{WaitingRoomConfigurationException.Shown(host)}' are both set: set one of them, not both.");
            }

            if (url is not null)
            {
                ReadRedisUrl(o, url);
            }
        }

        /// <summary>Host, port, TLS, user, password and database from the URL; its user and password win over WR_REDIS_USER and WR_REDIS_PASS.</summary>
        private void ReadRedisUrl(WaitingRoomOptions o, string url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "redis" && uri.Scheme != "rediss") || string.IsNullOrEmpty(uri.Host))
            {
                Errors.Add("WR_REDIS_URL='(hidden)' is not valid: expected redis://[[user]:password@]host[:port][/db] or rediss://... (TLS).");
                return;
            }

            (o.RedisHost, o.RedisPort, o.RedisSsl) = (uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? 6379 : uri.Port, uri.Scheme == "rediss");
            var credentials = uri.UserInfo.Split(':', 2);
            if (Uri.UnescapeDataString(credentials[0]) is { Length: > 0 } user)
            {
                o.RedisUser = user;
            }

            if (credentials.Length == 2 && Uri.UnescapeDataString(credentials[1]) is { Length: > 0 } password)
            {
                o.RedisPassword = password;
            }

            var db = uri.AbsolutePath.Trim('/');
            if (int.TryParse(db, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 0 and <= 15)
            {
                o.RedisDatabase = number;
            }
            else if (db.Length > 0)
            {
                Errors.Add($"WR_REDIS_URL='(hidden)' is not valid: the database after the host must be a number from 0 to 15, not '{WaitingRoomConfigurationException.Shown(db)}'.");
            }
        }

        /// <summary>
        /// TLS to Redis: WR_REDIS_TLS (with WR_REDIS_HOST; a WR_REDIS_URL's scheme decides by itself),
        /// the private CA to trust (WR_REDIS_TLS_CA), the name the server certificate must carry
        /// (WR_REDIS_TLS_HOST) and a client certificate (WR_REDIS_TLS_CERT and WR_REDIS_TLS_KEY).
        /// A TLS variable that would have no effect stops start-up rather than being ignored.
        /// </summary>
        private void ReadRedisTls(WaitingRoomOptions o)
        {
            var url = Value("WR_REDIS_URL");
            if (o.RedisHost is null && url is not null)
            {
                // A WR_REDIS_URL that could not be read has its own error line.
                return;
            }

            var raw = Value("WR_REDIS_TLS");
            var tls = raw is not null && Boolean("WR_REDIS_TLS", false);
            if (raw is not null && url is null)
            {
                o.RedisSsl = tls;
            }
            else if (raw is not null && tls != o.RedisSsl)
            {
                Fail("WR_REDIS_TLS", raw, $"WR_REDIS_URL is set and its scheme decides TLS ({(o.RedisSsl ? "rediss://, TLS on" : "redis://, TLS off")}): use rediss:// for TLS and leave WR_REDIS_TLS unset");
            }

            if (o.RedisHost is null || !o.RedisSsl)
            {
                string[] names = ["WR_REDIS_TLS_CA", "WR_REDIS_TLS_HOST", "WR_REDIS_TLS_CERT", "WR_REDIS_TLS_KEY"];
                foreach (var name in (o.RedisHost is null && o.RedisSsl ? ["WR_REDIS_TLS", .. names] : names).Where(n => Value(n) is not null))
                {
                    Errors.Add(o.RedisHost is null
                        ? $"{name} is set but no Redis is (WR_REDIS_HOST and WR_REDIS_URL are unset): set the Redis to connect to, or unset {name}."
                        : $"{name} is set but TLS to Redis is off: set WR_REDIS_TLS=true (or use a rediss:// URL in WR_REDIS_URL), or unset {name}.");
                }

                return;
            }

            if (Value("WR_REDIS_TLS_CA") is { } ca)
            {
                (o.RedisTlsCaFile, o.RedisTlsRoots) = (ca, CertificateFile("WR_REDIS_TLS_CA", ca));
            }

            o.RedisTlsHost = Text("WR_REDIS_TLS_HOST", host => Uri.CheckHostName(host) != UriHostNameType.Unknown, "expected the host name (or address) the Redis server certificate names");
            var certificate = Value("WR_REDIS_TLS_CERT");
            var key = Value("WR_REDIS_TLS_KEY");
            if ((certificate is null) != (key is null))
            {
                var (set, missing) = certificate is null ? ("WR_REDIS_TLS_KEY", "WR_REDIS_TLS_CERT") : ("WR_REDIS_TLS_CERT", "WR_REDIS_TLS_KEY");
                Errors.Add($"{set} is set without {missing}: a client certificate needs both files (PEM).");
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

        /// <summary>The variables of the admission assertion that mean nothing while WR_ADMISSION_HEADER is off.</summary>
        private static readonly string[] s_admissionSettings = ["WR_ADMISSION_KEY", "WR_ADMISSION_ISSUER"];

        /// <summary>WR_ADMISSION_HEADER, and WR_ADMISSION_KEY / WR_ADMISSION_ISSUER, which mean nothing without it.</summary>
        private void ReadAdmissionAssertion(WaitingRoomOptions o)
        {
            o.AdmissionHeader = Choice("WR_ADMISSION_HEADER", "off", ["off", "on"]) == "on";
            if (!o.AdmissionHeader)
            {
                foreach (var name in s_admissionSettings.Where(n => Value(n) is not null))
                {
                    Errors.Add($"{name} is set but WR_ADMISSION_HEADER is off: set WR_ADMISSION_HEADER=on, or unset {name}.");
                }

                return;
            }

            o.AdmissionIssuer = Text("WR_ADMISSION_ISSUER", t => t.Length <= 200 && t.All(c => c is > ' ' and <= '~'),
                "expected 1 to 200 printable ASCII characters without spaces (a URL or a name the origin checks)") ?? o.AdmissionIssuer;
            if (Value("WR_ADMISSION_KEY") is { } path)
            {
                o.AdmissionKey = AdmissionKeyFile(path);
            }
        }

        /// <summary>The EC P-256 private key of a PEM file (SEC 1 "EC PRIVATE KEY" or PKCS#8 "PRIVATE KEY"); null and one error naming WR_ADMISSION_KEY otherwise.</summary>
        private ECDsa? AdmissionKeyFile(string path)
        {
            const string Expected = "expected a readable PEM file holding an EC P-256 private key, as `openssl ecparam -name prime256v1 -genkey -noout -out admission.pem` writes";
            var key = ECDsa.Create();
            try
            {
                key.ImportFromPem(File.ReadAllText(path));
                var parameters = key.ExportParameters(includePrivateParameters: true);
                if (parameters.Curve.Oid?.Value != "1.2.840.10045.3.1.7")
                {
                    Fail("WR_ADMISSION_KEY", path, $"{Expected} (the key is on the curve {parameters.Curve.Oid?.FriendlyName ?? "unknown"}, not P-256)");
                    key.Dispose();
                    return null;
                }

                return key;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                // A public key imports and fails at export; an RSA key or an encrypted PEM fails at import.
                var problem = ex is ArgumentException ? "no unencrypted PEM private key found in it" : FirstLine(ex.Message);
                Fail("WR_ADMISSION_KEY", path, $"{Expected} ({problem})");
                key.Dispose();
                return null;
            }
        }

        /// <summary>The certificates of a PEM file; null (and one error naming the variable) when there are none or it cannot be read.</summary>
        private X509Certificate2Collection? CertificateFile(string name, string path)
        {
            var certificates = new X509Certificate2Collection();
            string? problem;
            try
            {
                certificates.ImportFromPemFile(path);
                problem = certificates.Count == 0 ? "expected a PEM certificate file (-----BEGIN CERTIFICATE-----); it holds no certificate" : null;
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                problem = "expected the path of a PEM certificate file; there is no such file";
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                problem = $"expected a readable PEM certificate file ({FirstLine(ex.Message)})";
            }

            return Fail(name, path, problem) ? null : certificates;
        }

        /// <summary>
        /// The default room from the WR_* variables (with its event, if WR_EVENT_START is set), checked
        /// by the rules of every room (<see cref="RoomSettingsValidator"/>).
        /// </summary>
        private RoomSettings ReadDefaultRoom()
        {
            var room = new RoomSettings { Name = RoomPolicy.DefaultName };
            var e = new SettingNode(JsonTokenType.StartObject, 0);
            var adaptive = new SettingNode(JsonTokenType.StartObject, 0);
            foreach (var (key, variable) in RoomSettingsValidator.Variables)
            {
                if (Value(variable) is not { } raw)
                {
                    continue;
                }

                if (key.Split('.') is [var parent, var member])
                {
                    (parent == "event" ? e : adaptive).Members.Add(new(member, 0, Setting(variable, raw)));
                }
                else
                {
                    _rules.Apply(room, key, Setting(variable, raw));
                }
            }

            // After WR_MAX_ACTIVE, so the bounds are checked against the room's capacity.
            if (adaptive.Members.Count > 0)
            {
                _rules.Apply(room, "adaptive", adaptive);
                _rules.CheckAdaptive(room);
            }

            room.Event = e.Members.Count > 0 ? _rules.Event(e) : null;
            _rules.Problems.RemoveAll(p => p.Text.StartsWith("missing property", StringComparison.Ordinal));
            if (room.Event is not null && !(e.Members.Exists(m => m.Name == "start") && e.Members.Exists(m => m.Name == "end")))
            {
                // An event needs both ends; the other event variables are still checked.
                room.Event = null;
                var set = e.Members.Select(m => m.Value.Variable!).ToList();
                if (!_rules.Problems.Exists(p => p.Text.StartsWith("WR_EVENT_START=", StringComparison.Ordinal) || p.Text.StartsWith("WR_EVENT_END=", StringComparison.Ordinal)))
                {
                    Errors.Add($"WR_EVENT_START and WR_EVENT_END are both needed for an event, and {string.Join(", ", set)} {(set.Count == 1 ? "is" : "are")} set without them.");
                }
            }

            Flush();
            return room;
        }

        /// <summary>The rooms of WR_ROOMS_FILE, which inherit the default room's numbers.</summary>
        private IReadOnlyList<RoomSettings> RoomsFile(string file, RoomSettings room)
        {
            var problems = new List<string>();
            var rooms = RoomsFileReader.Read(file, room, problems);
            Errors.AddRange(problems.Select(problem => $"WR_ROOMS_FILE='{WaitingRoomConfigurationException.Shown(file)}' is not valid: {problem}"));
            return rooms;
        }
    }
}
