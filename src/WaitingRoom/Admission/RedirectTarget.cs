namespace WaitingRoom.Admission;

/// <summary>Where a visitor goes once admitted: same-origin paths only ("//host", "/\host", URLs, control characters no), never an open redirect.</summary>
public static class RedirectTarget
{
    /// <summary>True when <paramref name="target"/> is a path on this site.</summary>
    public static bool IsLocalPath(string? target) =>
        target is ['/', ..] && !target.StartsWith("//", StringComparison.Ordinal) && !target.Any(c => char.IsControl(c) || c == '\\');

    /// <summary>The target for a request: its own path and query when local, else <paramref name="fallback"/>.</summary>
    public static string For(string pathAndQuery, string fallback) => IsLocalPath(pathAndQuery) ? pathAndQuery : fallback;
}
