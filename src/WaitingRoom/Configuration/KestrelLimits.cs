using System.Reflection;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;

namespace WaitingRoom.Configuration;

/// <summary>
/// The limits Kestrel applies to every client connection (README "Kestrel limits"): Kestrel's own
/// defaults, except a 10 s header timeout (a slowloris client holds a connection that long at most),
/// each changed with the standard <c>Kestrel__Limits__…</c> variables, bound onto
/// <see cref="KestrelServerLimits"/> by the configuration binder, whose setters check the values.
/// A bad value stops start-up with a line naming the variable instead of Kestrel's exception.
/// </summary>
internal static class KestrelLimits
{
    /// <summary>The configuration section of the limits.</summary>
    public const string Section = "Kestrel:Limits";

    private static readonly TimeSpan s_longestTimeout = TimeSpan.FromDays(1);

    /// <summary>The limits a configuration gives.</summary>
    /// <exception cref="WaitingRoomConfigurationException">A value is not valid; one line per bad value.</exception>
    public static KestrelServerLimits Read(IConfiguration configuration)
    {
        var limits = new KestrelServerOptions().Limits;
        return Apply(configuration, limits) is { Count: > 0 } errors ? throw new WaitingRoomConfigurationException(errors) : limits;
    }

    /// <summary>Sets the room's defaults on <paramref name="limits"/>, then binds every <c>Kestrel:Limits:…</c> value.</summary>
    /// <returns>One line per bad value (the limit keeps its default).</returns>
    public static List<string> Apply(IConfiguration configuration, KestrelServerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(limits);
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        var errors = new List<string>();
        var section = configuration.GetSection(Section);
        foreach (var limit in section.GetChildren())
        {
            if (string.Equals(limit.Key, nameof(KestrelServerLimits.MinRequestBodyDataRate), StringComparison.OrdinalIgnoreCase))
            {
                BindRate(limit, limits, errors);
                continue;
            }

            // Each limit is bound on its own, so every bad one is named. "none" is no cap, which the binder writes as empty.
            var values = limit.AsEnumerable().Where(v => !string.IsNullOrWhiteSpace(v.Value))
                .Select(v => KeyValuePair.Create(v.Key[(section.Path.Length + 1)..], (string?)(string.Equals(v.Value!.Trim(), "none", StringComparison.OrdinalIgnoreCase) ? "" : v.Value.Trim())));
            try
            {
                new ConfigurationBuilder().AddInMemoryCollection(values).Build().Bind(limits);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TargetInvocationException or ArgumentException)
            {
                errors.Add(Line(limit, Reason(ex)));
            }
        }

        // The binder reads a bare number as days ("10" is ten days): a timeout is meant in hh:mm:ss.
        foreach (var (name, value) in new[] { (nameof(limits.RequestHeadersTimeout), limits.RequestHeadersTimeout), (nameof(limits.KeepAliveTimeout), limits.KeepAliveTimeout) })
        {
            if (value > s_longestTimeout)
            {
                errors.Add(Line(section.GetSection(name), "expected a time span hh:mm:ss (e.g. 00:00:10) of at most one day"));
            }
        }

        return errors;
    }

    /// <summary>A MinDataRate has no setters, so the binder builds it from both values: the one not configured is the current one's. A rate of 0 is no minimum.</summary>
    private static void BindRate(IConfigurationSection rate, KestrelServerLimits limits, List<string> errors)
    {
        var current = limits.MinRequestBodyDataRate ?? new MinDataRate(240, TimeSpan.FromSeconds(5));
        var bytes = Value<double>(rate.GetSection(nameof(MinDataRate.BytesPerSecond)), current.BytesPerSecond, errors);
        var grace = Value<TimeSpan>(rate.GetSection(nameof(MinDataRate.GracePeriod)), current.GracePeriod, errors);
        if (bytes is not { } bytesPerSecond || grace is not { } gracePeriod)
        {
            return;
        }

        try
        {
            limits.MinRequestBodyDataRate = bytesPerSecond == 0 ? null : new MinDataRate(bytesPerSecond, gracePeriod);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            var key = ex.ParamName == "gracePeriod" ? nameof(MinDataRate.GracePeriod) : nameof(MinDataRate.BytesPerSecond);
            errors.Add(Line(rate.GetSection(key), Reason(ex)));
        }
    }

    private static T? Value<T>(IConfigurationSection setting, T fallback, List<string> errors)
        where T : struct
    {
        try
        {
            return string.IsNullOrWhiteSpace(setting.Value) ? fallback : setting.Get<T>();
        }
        catch (InvalidOperationException ex)
        {
            errors.Add(Line(setting, Reason(ex)));
            return null;
        }
    }

    /// <summary>Why the binder or Kestrel refused a value, in one line: the innermost reason, without its parameter name.</summary>
    private static string Reason(Exception ex)
    {
        var message = ex.GetBaseException().Message.Split('\n', 2)[0];
        var parameter = message.IndexOf(" (Parameter", StringComparison.Ordinal);
        var reason = (parameter >= 0 ? message[..parameter] : message).TrimEnd('.');
        return string.Concat(reason[..1].ToLowerInvariant(), reason[1..]);
    }

    /// <summary>The line of a bad value, naming the environment variable (<c>Kestrel__Limits__Key</c>).</summary>
    private static string Line(IConfigurationSection setting, string reason) =>
        $"{setting.Path.Replace(":", "__", StringComparison.Ordinal)}='{WaitingRoomConfigurationException.Printable(setting.Value ?? "", 80)}' is not valid: {reason}.";
}
