using System.Globalization;
using WaitingRoom.Configuration;

namespace WaitingRoom.Queue;

/// <summary>
/// Turns a failure of the first Redis calls into what the operator has to change: a password
/// Redis refuses, an ACL that lacks a command or key, a server certificate that is not trusted.
/// The client keeps retrying such a connection (a first connect is never aborted), so without
/// this the room would only look "down".
/// </summary>
internal static class RedisProblem
{
    /// <summary>
    /// One line naming the variable to fix, or null when the failure is not a refusal (Redis is
    /// down or unreachable, which the room rides out by itself).
    /// </summary>
    public static string? Describe(WaitingRoomOptions options, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(exception);
        return Describe(options, Messages(exception), exception is System.Security.Authentication.AuthenticationException);
    }

    /// <summary>The same line for an error Redis answered itself (<see cref="RedisAuthProbe"/>), or null.</summary>
    public static string? DescribeReply(WaitingRoomOptions options, string reply)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reply);
        return Describe(options, reply, tlsRefused: false);
    }

    private static string? Describe(WaitingRoomOptions options, string text, bool tlsRefused)
    {
        var where = string.Create(CultureInfo.InvariantCulture, $"Redis at {options.RedisHost}:{options.RedisPort}");

        // Redis answers NOAUTH when no password was sent, WRONGPASS to a wrong one or an unknown or disabled user.
        var user = options.RedisUser ?? "default";
        if (Contains(text, "NOAUTH") || Contains(text, "WRONGPASS"))
        {
            return options.RedisPassword is null
                ? $"{where} requires a password and none is set: set WR_REDIS_PASS (or put it in WR_REDIS_URL, redis://[user]:password@host:port)."
                : $"{where} refused the password: WR_REDIS_PASS (or the password in WR_REDIS_URL) is not the password of Redis user '{user}' (WR_REDIS_USER, or the user in WR_REDIS_URL), or that user does not exist or is off.";
        }

        if (Contains(text, "NOPERM"))
        {
            return $"{where} refused a command or key for lack of permission (ACL: {FirstLine(text, "NOPERM")}): give Redis user '{user}' the rules the room needs for key prefix '{options.KeyPrefix}' (README, Redis security).";
        }

        if (options.RedisSsl && (Contains(text, "certificate") || Contains(text, "SSL") || Contains(text, "TLS") || tlsRefused))
        {
            var trust = options.RedisTlsRoots is null
                ? "the certificate must chain to the system's trust store; for a private CA set WR_REDIS_TLS_CA to its certificate (PEM)"
                : $"the certificate must chain to a certificate of WR_REDIS_TLS_CA ({options.RedisTlsCaFile})";
            return $"TLS to {where} failed ({FirstLine(text, null)}): {trust}, and it must name {options.RedisTlsHost ?? options.RedisHost} (WR_REDIS_TLS_HOST when it names another host).";
        }

        return null;
    }

    private static string Messages(Exception exception)
    {
        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        return string.Join(" | ", messages);
    }

    private static bool Contains(string text, string value) => text.Contains(value, StringComparison.Ordinal);

    /// <summary>The message from <paramref name="start"/> (or its last part) to the end of its line, without the client's own prefix.</summary>
    private static string FirstLine(string text, string? start)
    {
        var from = start is null ? -1 : text.IndexOf(start, StringComparison.Ordinal);
        var rest = from >= 0 ? text[from..] : text[(text.LastIndexOf("; ", StringComparison.Ordinal) is var semicolon and >= 0 ? semicolon + 2 : 0)..];
        var end = rest.IndexOfAny(['\n', '|']);
        return (end >= 0 ? rest[..end] : rest).Trim().TrimEnd('.');
    }
}
