using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Configuration;

/// <summary>
/// The effective configuration as plain text (<c>--print-config</c>): one line per WR_* variable
/// (in the order of <see cref="WaitingRoomOptionsReader.KnownVariables"/>) with the value in use and
/// whether it was set, then the store, the listening address, the backends, one block per room and
/// the warnings. Values are written as an operator writes them; a secret is never printed, only
/// whether it is set. No timestamps: the same variables give the same text.
/// </summary>
internal static class ConfigurationReport
{
    private const string Hidden = "(set, hidden)";
    private const string Unset = "(unset)";
    private const string NotShown = "(not shown)";

    /// <summary>Variables whose value is a secret: only whether they are set is printed.</summary>
    private static readonly string[] s_secrets = ["WR_SECRET", "WR_REDIS_PASS", "WR_ADMIN_TOKEN"];

    /// <summary>The report of <paramref name="options"/>, read from <paramref name="configuration"/> (which tells which variables were set).</summary>
    public static string Render(WaitingRoomOptions options, IConfiguration configuration, IEnumerable<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(warnings);

        var text = new StringBuilder();
        foreach (var name in WaitingRoomOptionsReader.KnownVariables)
        {
            var mark = IsSet(configuration, name) ? "set" : "default";
            Line(text, $"{name}={ValueOf(name, options, configuration)}  # {mark}{Overridden(name, options, configuration)}");
        }

        text.Append('\n');
        Line(text, $"store: {Store(options, configuration)}");
        Line(text, $"listening: {Listening(options, configuration)}");
        Line(text, $"backends: {Backends(options)}");
        Line(text, $"cookie key: {CookieKey(options)}");
        Line(text, $"admin API: {(options.AdminToken is null ? "off (WR_ADMIN_TOKEN is unset)" : "on, at /_wr/admin/ with the bearer token of WR_ADMIN_TOKEN")}");
        Line(text, $"admission assertion: {AdmissionAssertion(options)}");
        Line(text, $"promotion: every {Seconds(options.ReleaseInterval)} s; while the store is unreachable: {FailureModeName(options.FailureMode)}");

        foreach (var room in options.Rooms)
        {
            text.Append('\n');
            AppendRoom(text, room);
        }

        var lines = warnings.Select(WarningLine).ToList();
        text.Append(lines.Count > 0 ? "\n" : "");
        lines.ForEach(line => Line(text, line));
        return text.ToString();
    }

    /// <summary>A configuration warning as a report line.</summary>
    public static string WarningLine(string warning) => $"# warning: {warning}";

    /// <summary>A line of the report; none when <paramref name="line"/> is null (a setting the room does not have).</summary>
    private static void Line(StringBuilder text, string? line) => text.Append(line).Append(line is null ? "" : "\n");

    /// <summary>Set as the reader sees it: a secret when not empty, any other variable when not blank.</summary>
    private static bool IsSet(IConfiguration configuration, string name) =>
        s_secrets.Contains(name) ? !string.IsNullOrEmpty(configuration[name]) : !string.IsNullOrWhiteSpace(configuration[name]);

    private static string ValueOf(string name, WaitingRoomOptions o, IConfiguration configuration)
    {
        var room = o.DefaultRoom;
        var e = room.Event;
        var redisFromUrl = IsSet(configuration, "WR_REDIS_URL");
        return name switch
        {
            "WR_MAX_ACTIVE" => Number(o.MaxActive),
            "WR_ACTIVE_TTL" => Seconds(o.ActiveTtl),
            "WR_RELEASE_INTERVAL" => Seconds(o.ReleaseInterval),
            "WR_COOKIE_NAME" => o.CookieName,

            // With WR_REDIS_URL the host and port come from the URL; the store line says which.
            "WR_REDIS_HOST" => redisFromUrl ? "" : o.RedisHost ?? "",
            "WR_REDIS_PORT" => redisFromUrl ? VariablePort(configuration) : Number(o.RedisPort),
            "WR_REDIS_USER" => o.RedisUser ?? "",
            "WR_REDIS_SENTINEL" => o.RedisSentinel ?? "",
            "WR_REDIS_PASS" => Secret(configuration, name),
            "WR_REDIS_URL" => RedisUrl(configuration[name]),
            "WR_REDIS_KEY_PREFIX" => o.KeyPrefix,
            "WR_REDIS_TLS" => Boolean(o.RedisSsl),
            "WR_REDIS_TLS_CA" => o.RedisTlsCaFile ?? "",
            "WR_REDIS_TLS_HOST" => o.RedisTlsHost ?? "",
            "WR_REDIS_TLS_CERT" => configuration[name]?.Trim() ?? "",

            // The path of the client's private key is not a secret, but the report says only that it is set.
            "WR_REDIS_TLS_KEY" => IsSet(configuration, name) ? "(set)" : "",
            "WR_BACKEND_URL" => string.Join(',', o.BackendUrls.Select(u => u.OriginalString)),
            "WR_MAIN_URL" => o.MainUrl,
            "WR_SECRET" => Secret(configuration, name),
            "WR_QUEUE_TTL" => Seconds(o.QueueTtl),
            "WR_ADMISSION_WINDOW" => Seconds(o.AdmissionWindow),
            "WR_NEW_USERS_PER_MINUTE" => Number(room.NewUsersPerMinute),
            "WR_QUEUE_MODE" => QueueModeNames.Of(room.QueueMode),
            "WR_BYPASS_PATHS" => string.Join(',', o.BypassPaths),
            "WR_ADMIN_TOKEN" => Secret(configuration, name),
            "WR_FAILURE_MODE" => o.FailureMode == FailureMode.Open ? "open" : "closed",
            "WR_PORT" => o.Port is { } port ? Number(port) : AspNetCoreListening(configuration) is null ? "8080" : "",
            "WR_SESSION_MAX" => Seconds(room.SessionMax),
            "WR_BYPASS_HEADER" => o.BypassHeaderName is { } header ? header + ":(hidden)" : Unset,
            "WR_MAX_NEW_PER_IP_PER_MINUTE" => Number(room.MaxNewPerIpPerMinute),
            "WR_MAX_QUEUE" => Number(room.MaxQueue),
            "WR_WEBHOOK_URL" => Webhooks.WebhookOptions.Shown(room.WebhookUrl),
            "WR_WEBHOOK_SECRET" => Secret(configuration, name),
            "WR_ROOMS_FILE" => o.RoomsFile ?? "",
            "WR_QUEUE_PAGE" => o.QueuePage ?? "",
            "WR_QUEUE_LANGUAGE" => o.QueueLanguage ?? "auto",
            "WR_LOAD_BALANCING" => WaitingRoomOptionsReader.LoadBalancingName(o.LoadBalancingPolicy),
            "WR_HEALTH_CHECK_PATH" => o.HealthCheckPath ?? "",
            "WR_STICKY" => Boolean(o.Sticky),
            "WR_BACKEND_TIMEOUT" => Seconds(o.BackendTimeout),
            "WR_SHUTDOWN_TIMEOUT" => Seconds(o.ShutdownTimeout),
            "WR_SHUTDOWN_DELAY" => Seconds(o.ShutdownDelay),
            "WR_HEALTH_CHECK_INTERVAL" => Seconds(o.HealthCheckInterval),
            "WR_HEALTH_CHECK_TIMEOUT" => Seconds(o.HealthCheckTimeout),
            "WR_TRUSTED_PROXIES" => string.Join(',', o.TrustedProxies),
            "WR_QUEUE_TITLE" => room.Title ?? "",
            "WR_QUEUE_MESSAGE" => room.Message ?? "",
            "WR_LOG_FORMAT" => o.LogFormat,
            "WR_EVENT_START" => e is null ? "" : Time(e.Start),
            "WR_EVENT_END" => e is null ? "" : Time(e.End),
            "WR_EVENT_PREQUEUE_START" => e?.PrequeueStart is { } prequeue ? Time(prequeue) : "",
            "WR_EVENT_SHUFFLE" => Boolean(e?.ShuffleAtStart ?? false),
            "WR_EVENT_MAX_ACTIVE" => e?.MaxActive is { } max ? Number(max) : "",
            "WR_EVENT_NEW_USERS_PER_MINUTE" => e?.NewUsersPerMinute is { } rate ? Number(rate) : "",
            "WR_EVENT_QUEUE_MODE" => e?.QueueMode is { } mode ? QueueModeNames.Of(mode) : "",
            "WR_EVENT_SESSION_MAX" => e?.SessionMax is { } sessionMax ? Seconds(sessionMax) : "",
            "WR_EVENT_TITLE" => e?.Title ?? "",
            "WR_EVENT_MESSAGE" => e?.Message ?? "",
            "WR_ADAPTIVE" => room.Adaptive.On ? "on" : "off",
            "WR_MIN_ACTIVE" => Number(room.Adaptive.MinActive),
            "WR_ADAPTIVE_TARGET_P95" => Seconds(room.Adaptive.TargetP95),
            "WR_ADAPTIVE_MAX_ERRORS" => room.Adaptive.MaxErrors.ToString(CultureInfo.InvariantCulture),
            "WR_POW" => o.ProofOfWork.ToString().ToLowerInvariant(),
            "WR_POW_DIFFICULTY" => Number(o.ProofOfWorkDifficulty),
            "WR_ALLOW_CIDRS" => o.AllowCidrs.ToString(),
            "WR_DENY_CIDRS" => o.DenyCidrs.ToString(),
            "WR_CRAWLERS" => o.Crawlers.ToString().ToLowerInvariant(),
            "WR_CRAWLER_CIDRS" => o.CrawlerCidrs.ToString(),
            "WR_QUEUE_STATUS" => Number(o.QueueStatus),

            "WR_ADMISSION_HEADER" => o.AdmissionHeader ? "on" : "off",

            // The path of the signing key, like the Redis client key's, is only said to be set.
            "WR_ADMISSION_KEY" => IsSet(configuration, name) ? "(set)" : "",
            "WR_ADMISSION_ISSUER" => o.AdmissionIssuer,
            // A variable added to the reader but not here: never guess, a secret could leak.
            _ => NotShown,
        };
    }

    /// <summary>A note on a variable whose value is not the one in use because WR_REDIS_URL says otherwise.</summary>
    private static string Overridden(string name, WaitingRoomOptions o, IConfiguration configuration) =>
        !IsSet(configuration, "WR_REDIS_URL") ? "" : name switch
        {
            "WR_REDIS_PORT" => "; the port of WR_REDIS_URL is used",
            "WR_REDIS_TLS" => "; the scheme of WR_REDIS_URL decides",
            "WR_REDIS_PASS" when IsSet(configuration, name) && !string.Equals(o.RedisPassword, configuration[name], StringComparison.Ordinal) =>
                "; the password of WR_REDIS_URL is used",
            _ => "",
        };

    private static string Secret(IConfiguration configuration, string name) => IsSet(configuration, name) ? Hidden : Unset;

    /// <summary>WR_REDIS_PORT as written (the URL's port is the one in use), or its default.</summary>
    private static string VariablePort(IConfiguration configuration) =>
        IsSet(configuration, "WR_REDIS_PORT") && int.TryParse(configuration["WR_REDIS_PORT"]!.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? Number(port)
            : "6379";

    /// <summary>The URL rebuilt from its parts without the password (and without anything the reader ignores), so no spelling of the password can slip through.</summary>
    private static string RedisUrl(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return "";
        }

        if (!Uri.TryCreate(raw.Trim(), UriKind.Absolute, out var uri))
        {
            return "(hidden)";
        }

        var parts = uri.UserInfo.Split(':', 2);
        var user = Uri.UnescapeDataString(parts[0]);
        var credentials = uri.UserInfo.Length == 0 ? "" : (parts.Length == 2 && parts[1].Length > 0 ? $"{user}:(hidden)" : user) + "@";

        var database = uri.AbsolutePath.Trim('/');
        return $"{uri.Scheme}://{credentials}{uri.Authority}{(database.Length > 0 ? "/" + database : "")}";
    }

    private static string Store(WaitingRoomOptions o, IConfiguration configuration)
    {
        if (o.UsesInMemoryStore)
        {
            return "the embedded in-memory store (WR_REDIS_HOST is unset): it serves ONE instance only and forgets every visitor on restart";
        }

        var source = IsSet(configuration, "WR_REDIS_URL") ? "WR_REDIS_URL" : "WR_REDIS_HOST";
        var nodes = o.RedisEndpoints.Count > 0
            ? RedisEndpointList.Format(o.RedisEndpoints)
            : $"{(o.RedisHost!.Contains(':', StringComparison.Ordinal) && !o.RedisHost.StartsWith('[') ? $"[{o.RedisHost}]" : o.RedisHost)}:{Number(o.RedisPort)}";
        return $"Redis at {nodes} (from {source}), TLS {Tls(o)}, database {Number(o.RedisDatabase)}, " +
            $"password {(o.RedisPassword is null ? "none" : "set")}, key prefix '{o.KeyPrefix}'";
    }

    /// <summary>TLS to Redis: off, or on with what the server certificate is checked against and whether a client certificate is shown.</summary>
    private static string Tls(WaitingRoomOptions o) => !o.RedisSsl ? "off" :
        $"on (server certificate checked against {(o.RedisTlsRoots is null ? "the system's trust store" : $"the CA of WR_REDIS_TLS_CA ({o.RedisTlsCaFile})")}, " +
        $"name {o.RedisTlsHost ?? o.RedisHost}{(o.RedisTlsClientCertificate is null ? "" : ", client certificate of WR_REDIS_TLS_CERT")})";

    /// <summary>ASPNETCORE_URLS or ASPNETCORE_HTTP_PORTS, which are honoured when WR_PORT is unset.</summary>
    private static string? AspNetCoreListening(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["urls"]) ? $"{configuration["urls"]!.Trim()} (ASPNETCORE_URLS or --urls)"
        : string.IsNullOrWhiteSpace(configuration["http_ports"]) ? null : $"port {configuration["http_ports"]!.Trim()} (ASPNETCORE_HTTP_PORTS)";

    private static string Listening(WaitingRoomOptions o, IConfiguration configuration) =>
        o.Port is { } port ? $"http://+:{Number(port)} (WR_PORT)" : AspNetCoreListening(configuration) ?? "http://+:8080";

    private static string Backends(WaitingRoomOptions o)
    {
        if (o.BackendUrls.Count == 0)
        {
            return "the built-in demo origin (WR_BACKEND_URL is unset)";
        }

        var health = o.HealthCheckPath is null
            ? "no active health checks"
            : $"health checks of {o.HealthCheckPath} every {Seconds(o.HealthCheckInterval)} s, timeout {Seconds(o.HealthCheckTimeout)} s";
        return $"{string.Join(", ", o.BackendUrls.Select(u => u.OriginalString))} ({WaitingRoomOptionsReader.LoadBalancingName(o.LoadBalancingPolicy)}, " +
            $"sticky {Boolean(o.Sticky)}, timeout {Seconds(o.BackendTimeout)} s, {health})";
    }

    private static string CookieKey(WaitingRoomOptions o) =>
        o.Secret is not null ? "WR_SECRET"
        : o.UsesInMemoryStore
            ? "created at start and kept in memory (WR_SECRET is unset): cookies do not survive a restart"
            : "created once and shared through the store (WR_SECRET is unset), so every instance accepts every other's cookies";

    private static string AdmissionAssertion(WaitingRoomOptions o) =>
        !o.AdmissionHeader ? "off (WR_ADMISSION_HEADER=off; a client's WR-Admission header is still removed)"
        : $"on: admitted requests carry WR-Admission (ES256 JWT, iss '{o.AdmissionIssuer}'), keys at /_wr/.well-known/jwks.json, " +
          (o.AdmissionKey is not null ? "signed with the key of WR_ADMISSION_KEY"
           : o.UsesInMemoryStore ? "signed with a generated key rotated daily, kept in memory (a restart starts a new key)"
           : "signed with a generated key rotated daily and shared through the store");

    private static string FailureModeName(FailureMode mode) =>
        mode == FailureMode.Open ? "open (every request is forwarded, unchecked)" : "closed (a 503 page with Retry-After)";

    private static void AppendRoom(StringBuilder text, RoomSettings room)
    {
        var adaptive = room.Adaptive;
        Line(text, $"room '{room.Name}' (host {room.Host}, path {room.Path})");
        Line(text, $"  capacity: at most {Number(room.MaxActive)} active visitors");
        Line(text, !adaptive.On ? null : $"  adaptive: the capacity follows the origin between {Number(Math.Min(adaptive.MinActive, room.MaxActive))} and {Number(room.MaxActive)}, " +
            $"keeping its p95 under {Seconds(adaptive.TargetP95)} s and its errors under {adaptive.MaxErrors.ToString(CultureInfo.InvariantCulture)}" +
            (adaptive.Pinned is { } pinned ? $"; pinned at {Number(pinned)}" : ""));
        Line(text, $"  mode: {QueueModeNames.Of(room.QueueMode)}");
        Line(text, $"  rates: {Number(room.NewUsersPerMinute)} new per minute (0 = no cap), " +
            $"{Number(room.MaxNewPerIpPerMinute)} new entries per client address per minute (0 = no cap)");
        Line(text, $"  session cap: {Seconds(room.SessionMax)} s (0 = none)");
        Line(text, room.MaxQueue == 0 ? null : $"  queue cap: at most {Number(room.MaxQueue)} waiting; newcomers past it get the \"queue full\" page (503)");
        Line(text, room.WebhookUrl is null ? null : $"  webhooks: {Webhooks.WebhookOptions.Shown(room.WebhookUrl)}");
        Line(text, $"  TTLs: active {Seconds(room.ActiveTtl)} s, queue {Seconds(room.QueueTtl)} s, admission window {Seconds(room.AdmissionWindow)} s");
        Line(text, room.BypassPaths.Count == 0 ? null : $"  bypass paths: {string.Join(',', room.BypassPaths)}");
        Line(text, room.AllowCidrs.IsEmpty ? null : $"  allowed networks (on top of WR_ALLOW_CIDRS): {room.AllowCidrs}");
        Line(text, room.DenyCidrs.IsEmpty ? null : $"  denied networks (on top of WR_DENY_CIDRS): {room.DenyCidrs}");
        Line(text, room.Title is null ? null : $"  title: {room.Title}");
        Line(text, room.Message is null ? null : $"  message: {room.Message}");
        if (room.Event is not { } e)
        {
            Line(text, "  event: none");
            return;
        }

        var prequeue = e.PrequeueStart is { } start ? $"pre-queue from {Time(start)}" : "no pre-queue";
        Line(text, $"  event: {prequeue}, open from {Time(e.Start)} to {Time(e.End)}, shuffle at start {Boolean(e.ShuffleAtStart)}");
        string?[] changes =
        [
            e.MaxActive is { } max ? $"at most {Number(max)} active visitors" : null,
            e.QueueMode is { } mode ? $"mode {QueueModeNames.Of(mode)}" : null,
            e.NewUsersPerMinute is { } rate ? $"{Number(rate)} new per minute" : null,
            e.SessionMax is { } sessionMax ? $"session cap {Seconds(sessionMax)} s" : null,
        ];
        var during = string.Join(", ", changes.OfType<string>());
        Line(text, $"  during the event: {(during.Length == 0 ? "the room's own settings" : during)}");
        Line(text, e.Title is null ? null : $"  event title: {e.Title}");
        Line(text, e.Message is null ? null : $"  event message: {e.Message}");
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString(CultureInfo.InvariantCulture);

    private static string Boolean(bool value) => value ? "true" : "false";

    /// <summary>An ISO 8601 time as an operator writes it: Z for UTC, the offset otherwise, a fraction only when there is one.</summary>
    private static string Time(DateTimeOffset value) =>
        value.ToString(value.Offset == TimeSpan.Zero ? "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);
}
