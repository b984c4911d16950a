using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using WaitingRoom.Queue;

namespace WaitingRoom.Rooms;

/// <summary>
/// Finds the room of a request: the most specific host (an exact name beats "*.example.com", which
/// beats "*"), then the longest path prefix; no match is the room named "default". Paths are
/// compared case-insensitively and with repeated slashes collapsed, so neither <c>/Sale</c> nor
/// <c>//sale</c> slips past a room on <c>/sale</c>.
/// </summary>
public sealed partial class RoomTable(IEnumerable<RoomSettings> rooms)
{
    private readonly Lock _replaceLock = new();
    private volatile Snapshot _snapshot = new([.. rooms ?? throw new ArgumentNullException(nameof(rooms))]);

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
    public static string NormalizePath(string? path) =>
        string.IsNullOrEmpty(path) ? "/" : path.Contains("//", StringComparison.Ordinal) ? RepeatedSlashes().Replace(path, "/") : path;

    [GeneratedRegex("//+")]
    private static partial Regex RepeatedSlashes();

    private static bool HostMatches(string pattern, string? host) =>
        pattern == "*" || (!string.IsNullOrEmpty(host) && (pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.TrimEnd('.').EndsWith(pattern.AsSpan(1), StringComparison.OrdinalIgnoreCase)
            : string.Equals(pattern, host.TrimEnd('.'), StringComparison.OrdinalIgnoreCase)));

    private static int HostRank(string pattern) => pattern == "*" ? 0 : pattern.StartsWith("*.", StringComparison.Ordinal) ? 1 : 2;

    /// <summary>One immutable set of rooms; replaced whole so a reader never sees half a change.</summary>
    private sealed class Snapshot(List<RoomSettings> list)
    {
        public RoomSettings Default { get; } = list.Find(r => string.Equals(r.Name, RoomPolicy.DefaultName, StringComparison.Ordinal))
            ?? throw new ArgumentException("The rooms must include the room named 'default'.", nameof(list));

        public IReadOnlyList<RoomSettings> All { get; } = list;

        public Dictionary<string, RoomSettings> ByName { get; } = list.ToDictionary(r => r.Name, StringComparer.OrdinalIgnoreCase);

        public RoomSettings[] ByPrecedence { get; } = [.. list
            .Where(r => !string.Equals(r.Name, RoomPolicy.DefaultName, StringComparison.Ordinal))
            .OrderByDescending(r => HostRank(r.Host))
            .ThenByDescending(r => r.Host.Length)
            .ThenByDescending(r => r.Path.Length)];
    }
}
