using System.Globalization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;

namespace WaitingRoom.Hosting;

/// <summary>
/// The limits Kestrel applies to every client connection, set deliberately for a front door that
/// faces the internet: an oversized or slow request is answered (414, 431, 413, 408) or its
/// connection closed by the server before it reaches the room or the backend, and the memory one
/// connection can hold stays bounded. Each limit can be changed with the standard
/// <c>Kestrel__Limits__…</c> variables (<c>Kestrel:Limits:…</c> in configuration); a bad value
/// stops start-up with a line naming the variable.
/// </summary>
internal sealed class KestrelLimits
{
    /// <summary>The configuration section of the limits.</summary>
    public const string Section = "Kestrel:Limits";

    /// <summary>Method, target and version of one request line: 8 KiB (Kestrel's default); longer is 414.</summary>
    public long MaxRequestLineSize { get; private set; } = 8 * 1024;

    /// <summary>All request headers together: 32 KiB (Kestrel's default, room for a site's own cookies); more is 431.</summary>
    public long MaxRequestHeadersTotalSize { get; private set; } = 32 * 1024;

    /// <summary>Request headers: 100 (Kestrel's default, far above any browser's); more is 431.</summary>
    public long MaxRequestHeaderCount { get; private set; } = 100;

    /// <summary>
    /// A request body: 30,000,000 bytes (Kestrel's default). Bodies are streamed to the backend,
    /// never buffered by the room, so the cap is not about the room's memory: it keeps an unbounded
    /// upload from reaching the backend. Null means no cap.
    /// </summary>
    public long? MaxRequestBodySize { get; private set; } = 30_000_000;

    /// <summary>
    /// Time to receive a request's headers: 10 s (Kestrel's default is 30 s). A browser sends its
    /// headers in one go; a client trickling them (slowloris) holds a connection for this long at most.
    /// </summary>
    public TimeSpan RequestHeadersTimeout { get; private set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// An idle keep-alive connection: 130 s (Kestrel's default), longer than the 60 s idle timeout
    /// of common load balancers, so the balancer closes an idle connection first and never sends a
    /// request on one the room is closing.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; private set; } = TimeSpan.FromSeconds(130);

    /// <summary>
    /// The slowest request body accepted after its grace period: 240 bytes/s after 5 s (Kestrel's
    /// default). A body trickled slower has its connection closed. Null means no minimum.
    /// </summary>
    public MinDataRate? MinRequestBodyDataRate { get; private set; } = new(240, TimeSpan.FromSeconds(5));

    /// <summary>Open connections: no cap (Kestrel's default); a cap would let a crowd of idle connections lock every visitor out. The operating system's limits apply.</summary>
    public long? MaxConcurrentConnections { get; private set; }

    /// <summary>Upgraded (WebSocket) connections: no cap, for the same reason; the backend decides how many it serves.</summary>
    public long? MaxConcurrentUpgradedConnections { get; private set; }

    /// <summary>The limits: the defaults above, each replaced by its <c>Kestrel:Limits:…</c> value when one is set.</summary>
    /// <exception cref="WaitingRoomConfigurationException">A value is not valid; one line per bad value.</exception>
    public static KestrelLimits Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var limits = new KestrelLimits();
        var errors = new List<string>();
        var section = configuration.GetSection(Section);

        limits.MaxRequestLineSize = Size(section, nameof(MaxRequestLineSize), 1, errors) ?? limits.MaxRequestLineSize;
        limits.MaxRequestHeadersTotalSize = Size(section, nameof(MaxRequestHeadersTotalSize), 1, errors) ?? limits.MaxRequestHeadersTotalSize;
        limits.MaxRequestHeaderCount = Size(section, nameof(MaxRequestHeaderCount), 1, errors) ?? limits.MaxRequestHeaderCount;
        limits.MaxRequestBodySize = OptionalSize(section, nameof(MaxRequestBodySize), limits.MaxRequestBodySize, errors);
        limits.MaxConcurrentConnections = OptionalSize(section, nameof(MaxConcurrentConnections), limits.MaxConcurrentConnections, errors);
        limits.MaxConcurrentUpgradedConnections = OptionalSize(section, nameof(MaxConcurrentUpgradedConnections), limits.MaxConcurrentUpgradedConnections, errors);
        limits.RequestHeadersTimeout = Duration(section, nameof(RequestHeadersTimeout), TimeSpan.FromMilliseconds(1), errors) ?? limits.RequestHeadersTimeout;
        limits.KeepAliveTimeout = Duration(section, nameof(KeepAliveTimeout), TimeSpan.FromMilliseconds(1), errors) ?? limits.KeepAliveTimeout;

        var rate = section.GetSection(nameof(MinRequestBodyDataRate));
        var bytesPerSecond = Raw(rate, "BytesPerSecond");
        var grace = Duration(rate, "GracePeriod", TimeSpan.FromSeconds(1.001), errors);
        if (bytesPerSecond is not null)
        {
            if (double.TryParse(bytesPerSecond, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value >= 0 && value <= 1e9)
            {
                limits.MinRequestBodyDataRate = value == 0 ? null : new MinDataRate(value, grace ?? limits.MinRequestBodyDataRate?.GracePeriod ?? TimeSpan.FromSeconds(5));
            }
            else
            {
                errors.Add(Line(rate, "BytesPerSecond", bytesPerSecond, "expected a number of bytes per second from 0 (no minimum) to 1000000000"));
            }
        }
        else if (grace is { } period && limits.MinRequestBodyDataRate is { } current)
        {
            limits.MinRequestBodyDataRate = new MinDataRate(current.BytesPerSecond, period);
        }

        if (errors.Count > 0)
        {
            throw new WaitingRoomConfigurationException(errors);
        }

        return limits;
    }

    /// <summary>Sets these limits on Kestrel's.</summary>
    public void ApplyTo(KestrelServerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.MaxRequestLineSize = (int)MaxRequestLineSize;
        limits.MaxRequestHeadersTotalSize = (int)MaxRequestHeadersTotalSize;
        limits.MaxRequestHeaderCount = (int)MaxRequestHeaderCount;
        limits.MaxRequestBodySize = MaxRequestBodySize;
        limits.MaxConcurrentConnections = MaxConcurrentConnections;
        limits.MaxConcurrentUpgradedConnections = MaxConcurrentUpgradedConnections;
        limits.RequestHeadersTimeout = RequestHeadersTimeout;
        limits.KeepAliveTimeout = KeepAliveTimeout;
        limits.MinRequestBodyDataRate = MinRequestBodyDataRate;
    }

    private static string? Raw(IConfigurationSection section, string key) =>
        section[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <summary>The line of a bad value, naming the environment variable (<c>Kestrel__Limits__Key</c>).</summary>
    private static string Line(IConfigurationSection section, string key, string value, string allowed)
    {
        var printable = WaitingRoomConfigurationException.Printable(value, 80);
        return $"{(section.Path + ":" + key).Replace(":", "__", StringComparison.Ordinal)}='{printable}' is not valid: {allowed}.";
    }

    private static long? Size(IConfigurationSection section, string key, long min, List<string> errors)
    {
        if (Raw(section, key) is not { } raw)
        {
            return null;
        }

        if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= int.MaxValue)
        {
            return value;
        }

        errors.Add(Line(section, key, raw, $"expected a whole number from {min} to {int.MaxValue}"));
        return null;
    }

    /// <summary>A cap that may be switched off: a whole number, or <c>none</c> for no cap.</summary>
    private static long? OptionalSize(IConfigurationSection section, string key, long? fallback, List<string> errors)
    {
        if (Raw(section, key) is not { } raw)
        {
            return fallback;
        }

        if (string.Equals(raw, "none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1)
        {
            return value;
        }

        errors.Add(Line(section, key, raw, $"expected a whole number from 1 to {long.MaxValue}, or none"));
        return fallback;
    }

    /// <summary>A time span as configuration binding writes it (<c>00:00:10</c>), at least <paramref name="min"/>, at most a day.</summary>
    private static TimeSpan? Duration(IConfigurationSection section, string key, TimeSpan min, List<string> errors)
    {
        if (Raw(section, key) is not { } raw)
        {
            return null;
        }

        if (TimeSpan.TryParseExact(raw, "c", CultureInfo.InvariantCulture, out var value) && raw.Contains(':', StringComparison.Ordinal) &&
            value >= min && value <= TimeSpan.FromDays(1))
        {
            return value;
        }

        errors.Add(Line(section, key, raw, $"expected a time span hh:mm:ss (e.g. 00:00:10) from {min.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s to one day"));
        return null;
    }
}
