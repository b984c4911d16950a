using System.Security.Cryptography.X509Certificates;

namespace WaitingRoom.Configuration;

/// <summary>
/// The effective configuration of one WaitingRoom process, read once from the WR_* variables
/// (see <see cref="WaitingRoomOptionsReader"/>). Names and defaults follow owr's.
/// </summary>
public sealed class WaitingRoomOptions
{
    /// <summary>WR_MAX_ACTIVE: concurrent active visitors (active + released-not-yet-expired).</summary>
    public int MaxActive { get; set; } = 100;

    /// <summary>WR_ACTIVE_TTL: how long an active visitor may stay idle before its slot frees.</summary>
    public TimeSpan ActiveTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>WR_RELEASE_INTERVAL: time between promotion rounds.</summary>
    public TimeSpan ReleaseInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>WR_COOKIE_NAME: name of the signed visitor cookie.</summary>
    public string CookieName { get; set; } = "wr_token";

    /// <summary>WR_REDIS_HOST: unset means the embedded in-memory store (one instance only).</summary>
    public string? RedisHost { get; set; }

    /// <summary>
    /// WR_REDIS_HOST as nodes: one, or several seed nodes of a Redis Cluster (<c>host[:port]</c>,
    /// comma-separated, WR_REDIS_PORT where no port is given). Empty with WR_REDIS_URL, whose one
    /// node is <see cref="RedisHost"/> and <see cref="RedisPort"/>.
    /// </summary>
    public IReadOnlyList<System.Net.DnsEndPoint> RedisEndpoints { get; set; } = [];

    /// <summary>WR_REDIS_PORT.</summary>
    public int RedisPort { get; set; } = 6379;

    /// <summary>WR_REDIS_USER (or the user of WR_REDIS_URL): the ACL user sent with AUTH; null = the <c>default</c> user.</summary>
    public string? RedisUser { get; set; }

    /// <summary>WR_REDIS_SENTINEL: the master name the sentinels of <see cref="RedisEndpoints"/> monitor; null = no Sentinel.</summary>
    public string? RedisSentinel { get; set; }

    /// <summary>WR_REDIS_PASS: password sent with AUTH.</summary>
    public string? RedisPassword { get; set; }

    /// <summary>TLS to Redis: a rediss:// WR_REDIS_URL, or WR_REDIS_TLS=true with WR_REDIS_HOST.</summary>
    public bool RedisSsl { get; set; }

    /// <summary>WR_REDIS_TLS_CA: the certificates (PEM) a Redis server certificate must chain to, instead of the system's trust store; null = the system's trust store.</summary>
    public X509Certificate2Collection? RedisTlsRoots { get; set; }

    /// <summary>WR_REDIS_TLS_CA as given: the file <see cref="RedisTlsRoots"/> was read from.</summary>
    public string? RedisTlsCaFile { get; set; }

    /// <summary>WR_REDIS_TLS_HOST: the name the Redis server certificate must carry; null = the host connected to.</summary>
    public string? RedisTlsHost { get; set; }

    /// <summary>WR_REDIS_TLS_CERT and WR_REDIS_TLS_KEY: the client certificate (with its key) shown to Redis; null = none.</summary>
    public X509Certificate2? RedisTlsClientCertificate { get; set; }

    /// <summary>Database number from WR_REDIS_URL (redis://host:port/N).</summary>
    public int RedisDatabase { get; set; }

    /// <summary>WR_REDIS_KEY_PREFIX: first part of every key, so several deployments can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "wr";

    /// <summary>WR_BACKEND_URL: one or more destinations; empty means the built-in demo origin.</summary>
    public IReadOnlyList<Uri> BackendUrls { get; set; } = [];

    /// <summary>WR_MAIN_URL: where an admitted visitor lands when it did not ask for a page.</summary>
    public string MainUrl { get; set; } = "/";

    /// <summary>WR_SECRET: HMAC key of the visitor cookie; null means shared through the store.</summary>
    public string? Secret { get; set; }

    /// <summary>WR_QUEUE_TTL: how long a queued visitor may go without polling before it loses its place (5 minutes, as Cloudflare holds one: a phone that sleeps the tab keeps it).</summary>
    public TimeSpan QueueTtl { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>WR_ADMISSION_WINDOW: how long a promoted visitor has to arrive.</summary>
    public TimeSpan AdmissionWindow { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>WR_BYPASS_PATHS: path prefixes that never queue, compared case-insensitively.</summary>
    public IReadOnlyList<string> BypassPaths { get; set; } = [];

    /// <summary>WR_BYPASS_HEADER name part (Name:secret).</summary>
    public string? BypassHeaderName { get; set; }

    /// <summary>WR_BYPASS_HEADER secret part.</summary>
    public string? BypassHeaderValue { get; set; }

    /// <summary>WR_FAILURE_MODE: what to do while the store is unreachable.</summary>
    public FailureMode FailureMode { get; set; } = FailureMode.Closed;

    /// <summary>WR_LOG_FORMAT: <c>json</c> (one JSON line per event) or <c>text</c> (Serilog's readable line); text on a terminal, else json.</summary>
    public string LogFormat { get; set; } = "json";

    /// <summary>WR_PORT, when set explicitly; otherwise ASPNETCORE_URLS or 8080.</summary>
    public int? Port { get; set; }

    /// <summary>WR_QUEUE_PAGE: a custom queue page template; falls back to wwwroot/queue.html.</summary>
    public string? QueuePage { get; set; }

    /// <summary>WR_LOAD_BALANCING, as a YARP policy name.</summary>
    public string LoadBalancingPolicy { get; set; } = "RoundRobin";

    /// <summary>WR_HEALTH_CHECK_PATH: active health checks of each destination when set.</summary>
    public string? HealthCheckPath { get; set; }

    /// <summary>WR_HEALTH_CHECK_INTERVAL: time between active health probes of each destination.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>WR_HEALTH_CHECK_TIMEOUT: how long one probe may take before it counts as a failure.</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>WR_ADMIN_TOKEN: bearer token of /_wr/admin/; null = the admin API is off.</summary>
    public string? AdminToken { get; set; }

    /// <summary>WR_WEBHOOK_SECRET: the HMAC-SHA256 key of every webhook's WR-Signature; required with any webhook URL. Null = webhooks off.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>WR_STICKY: an admitted visitor keeps its backend destination.</summary>
    public bool Sticky { get; set; }

    /// <summary>WR_BACKEND_TIMEOUT: how long a backend request may stay silent before it is abandoned.</summary>
    public TimeSpan BackendTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// WR_SHUTDOWN_TIMEOUT: on SIGTERM, how long requests in flight may take to finish before the
    /// process exits anyway. Keep it under the orchestrator's grace period (Compose: stop_grace_period).
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// WR_SHUTDOWN_DELAY: on SIGTERM, how long the room keeps listening with /_wr/ready answering
    /// 503 before it stops accepting, so a load balancer stops sending first. Part of <see cref="ShutdownTimeout"/>.
    /// </summary>
    public TimeSpan ShutdownDelay { get; set; }

    /// <summary>WR_QUEUE_LANGUAGE: a language forced on every visitor; null picks by Accept-Language.</summary>
    public string? QueueLanguage { get; set; }

    /// <summary>WR_TRUSTED_PROXIES: networks whose X-Forwarded-For / -Proto are believed; empty = loopback only.</summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; set; } = [];

    /// <summary>WR_POW: whether newcomers solve a proof-of-work challenge before they take a place.</summary>
    public ProofOfWork.ProofOfWorkMode ProofOfWork { get; set; } = WaitingRoom.ProofOfWork.ProofOfWorkMode.Off;

    /// <summary>WR_POW_DIFFICULTY: the highest difficulty, in leading zero bits of SHA-256 (WR_POW=on asks every newcomer for it).</summary>
    public int ProofOfWorkDifficulty { get; set; } = WaitingRoom.ProofOfWork.ProofOfWorkChallenges.DefaultDifficulty;

    /// <summary>WR_ALLOW_CIDRS: networks whose requests never queue (like WR_BYPASS_HEADER), in every room.</summary>
    public Access.NetworkList AllowCidrs { get; set; } = Access.NetworkList.Empty;

    /// <summary>WR_DENY_CIDRS: networks that get 403 and nothing else, in every room; deny wins over allow.</summary>
    public Access.NetworkList DenyCidrs { get; set; } = Access.NetworkList.Empty;

    /// <summary>WR_CRAWLERS: what search-engine crawlers get while the room would queue them.</summary>
    public Access.CrawlerMode Crawlers { get; set; } = Access.CrawlerMode.Unavailable;

    /// <summary>WR_CRAWLER_CIDRS: the crawlers' networks, the only ones a crawler is bypassed from (WR_CRAWLERS=bypass).</summary>
    public Access.NetworkList CrawlerCidrs { get; set; } = Access.NetworkList.Empty;

    /// <summary>WR_QUEUE_STATUS: the HTTP status of the queue page (200, 202, 429 or 503; Retry-After with 429 and 503).</summary>
    public int QueueStatus { get; set; } = 200;

    /// <summary>WR_ROOMS_FILE: path of the rooms file, when set.</summary>
    public string? RoomsFile { get; set; }

    /// <summary>Every room: the default room (from the WR_* variables, first) and the rooms of the rooms file.</summary>
    public IReadOnlyList<Rooms.RoomSettings> Rooms { get; set; } = [new Rooms.RoomSettings()];

    /// <summary>The room of requests that match no other room, from the WR_* variables.</summary>
    public Rooms.RoomSettings DefaultRoom => Rooms[0];

    /// <summary>WR_ADMISSION_HEADER: every request forwarded for an admitted visitor carries a signed <c>WR-Admission</c> JWT.</summary>
    public bool AdmissionHeader { get; set; }

    /// <summary>WR_ADMISSION_KEY: the operator's EC P-256 signing key (from a PEM file); null = keys generated and shared through the store.</summary>
    public System.Security.Cryptography.ECDsa? AdmissionKey { get; set; }

    /// <summary>WR_ADMISSION_ISSUER: the <c>iss</c> claim of the admission assertion.</summary>
    public string AdmissionIssuer { get; set; } = "waitingroom";

    /// <summary>True when the embedded in-memory store is used.</summary>
    public bool UsesInMemoryStore => RedisHost is null;
}
