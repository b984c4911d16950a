namespace WaitingRoom.Admission;

/// <summary>
/// Where a visitor goes once admitted. Only same-origin paths are accepted: "/x" yes; "//host",
/// "/\host", absolute URLs and control characters no, so the room is never an open redirect.
/// </summary>
public static class RedirectTarget
{
    /// <summary>True when <paramref name="target"/> is a path on this site.</summary>
    public static bool IsLocalPath(string? target)
    {
        if (string.IsNullOrEmpty(target) || target[0] != '/')
        {
            return false;
        }

        if (target.Length > 1 && (target[1] == '/' || target[1] == '\\'))
        {
            return false;
        }

        foreach (var c in target)
        {
            if (char.IsControl(c) || c == '\\')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The target for a request: its own path and query when local, else <paramref name="fallback"/>.</summary>
    public static string For(string pathAndQuery, string fallback) => IsLocalPath(pathAndQuery) ? pathAndQuery : fallback;
}
