using Microsoft.AspNetCore.Http;
using WaitingRoom.Queue;

namespace WaitingRoom.Rooms;

/// <summary>
/// Finds the room of a request: the most specific host (an exact name beats "*.example.com", which
/// beats "*"), then the longest path prefix; no match is the room named "default". Paths are
/// compared case-insensitively and with repeated slashes collapsed, so neither <c>/Sale</c> nor
/// <c>//sale</c> slips past a room on <c>/sale</c>.
/// </summary>
public sealed class RoomTable
{
    private readonly Lock _replaceLock = new();
    private volatile Snapshot _snapshot;

    public RoomTable(IEnumerable<RoomSettings> rooms)
    {
        ArgumentNullException.ThrowIfNull(rooms);
        _snapshot = new Snapshot(rooms.ToList());
    }

    /// <summary>The room of requests that match no other room.</summary>
    public RoomSettings Default => _snapshot.Default;

    /// <summary>Every room, the default first when it was given first.</summary>
    public IReadOnlyList<RoomSettings> All => _snapshot.All;

    /// <summary>The room called <paramref name="name"/> (case-insensitive), or null.</summary>
    public RoomSettings? Find(string? name) =>
        name is not null && _snapshot.ByName.TryGetValue(name, out var room) ? room : null;

    /// <summary>
    /// Puts <paramref name="room"/> in place of the room of the same name (run-time settings from
    /// the admin API). Requests already under way keep the settings they started with; host and
    /// path must not change (they are not changeable at run time).
    /// </summary>
    public void Replace(RoomSettings room)
    {
        ArgumentNullException.ThrowIfNull(room);
        lock (_replaceLock)
        {
            var all = _snapshot.All.ToList();
            var index = all.FindIndex(r => string.Equals(r.Name, room.Name, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
            {
                throw new ArgumentException($"There is no room '{room.Name}'.", nameof(room));
            }

            all[index] = room;
            _snapshot = new Snapshot(all);
        }
    }

    /// <summary>The room of a request.</summary>
    public RoomSettings Match(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var snapshot = _snapshot;
        return snapshot.ByPrecedence.Length == 0 ? snapshot.Default : Match(request.Host.Host, request.Path.Value);
    }

    /// <summary>The room for a host (without port) and a path.</summary>
    public RoomSettings Match(string? host, string? path)
    {
        var snapshot = _snapshot;
        if (snapshot.ByPrecedence.Length == 0)
        {
            return snapshot.Default;
        }

        var normalized = NormalizePath(path);
        foreach (var room in snapshot.ByPrecedence)
        {
            if (HostMatches(room.Host, host) && PathMatches(room.Path, normalized))
            {
                return room;
            }
        }

        return snapshot.Default;
    }

    /// <summary>True when the already normalized <paramref name="path"/> starts with <paramref name="prefix"/>, ignoring case.</summary>
    private static bool PathMatches(string prefix, string path) =>
        prefix == "/" || path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>The path with every run of '/' collapsed to one; "/" when empty.</summary>
    public static string NormalizePath(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "/";
        }

        if (!path.Contains("//", StringComparison.Ordinal))
        {
            return path;
        }

        var chars = new System.Text.StringBuilder(path.Length);
        foreach (var c in path)
        {
            if (c != '/' || chars.Length == 0 || chars[^1] != '/')
            {
                chars.Append(c);
            }
        }

        return chars.ToString();
    }

    private static bool HostMatches(string pattern, string? host)
    {
        if (pattern == "*")
        {
            return true;
        }

        if (string.IsNullOrEmpty(host))
        {
            return false;
        }

        host = host.TrimEnd('.');
        if (pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            return host.EndsWith(pattern.AsSpan(1), StringComparison.OrdinalIgnoreCase);
        }

        return string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase);
    }

    private static int HostRank(string pattern) => pattern == "*" ? 0 : pattern.StartsWith("*.", StringComparison.Ordinal) ? 1 : 2;

    /// <summary>One immutable set of rooms; replaced whole so a reader never sees half a change.</summary>
    private sealed class Snapshot
    {
        public Snapshot(List<RoomSettings> list)
        {
            Default = list.Find(r => string.Equals(r.Name, RoomPolicy.DefaultName, StringComparison.Ordinal))
                ?? throw new ArgumentException("The rooms must include the room named 'default'.", nameof(list));
            All = list;
            ByName = list.ToDictionary(r => r.Name, StringComparer.OrdinalIgnoreCase);
            ByPrecedence = [.. list
                .Where(r => !ReferenceEquals(r, Default))
                .OrderByDescending(r => HostRank(r.Host))
                .ThenByDescending(r => r.Host.Length)
                .ThenByDescending(r => r.Path.Length)];
        }

        public RoomSettings Default { get; }

        public IReadOnlyList<RoomSettings> All { get; }

        public Dictionary<string, RoomSettings> ByName { get; }

        public RoomSettings[] ByPrecedence { get; }
    }
}
