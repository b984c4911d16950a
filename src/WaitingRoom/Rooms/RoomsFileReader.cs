using System.Globalization;
using System.Security;
using System.Text;
using System.Text.Json;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;

namespace WaitingRoom.Rooms;

/// <summary>
/// Reads the rooms file (WR_ROOMS_FILE):
/// <c>{"rooms":[{"name":"sale","host":"*","path":"/sale","maxActive":500}]}</c>, and the admin
/// API's run-time settings, by the rules of <see cref="RoomSettingsValidator"/>. Each room starts
/// from the default room's numbers (<see cref="RoomSettings.Inherit"/>). Comments and trailing
/// commas are allowed; duplicate and unknown property names are not, so a typo never passes silently.
/// </summary>
/// <remarks>
/// Every mistake is reported at once, one line each (<c>line N: reason</c>, in line order), and a
/// message may name the line of an earlier token ("first on line 4"). JsonSerializer stops at the
/// first mistake and records no position of what it read, so System.Text.Json's
/// <see cref="Utf8JsonReader"/> reads the file into a small tree that remembers the line of every
/// token; a syntax error (the reader's <see cref="JsonException"/>, with its line) stops the reading.
/// </remarks>
public static class RoomsFileReader
{
    private const string NameExpected = "a string of 1 to 40 letters, digits, '-' or '_'";
    private const string HostExpected = "a string: \"*\", a host name without port (letters, digits, '-', '.') or \"*.example.com\"";
    private const string PathExpected = "a string: a path prefix starting with '/', without '..', '?', '#', spaces or control characters";

    private static readonly string[] s_roomProperties = ["name", "host", "path", .. RoomSettingsValidator.Settings];

    /// <summary>What the admin API may change at run time: the room's own settings but its bypass paths, and 'draining'.</summary>
    private static readonly string[] s_overrideProperties = [.. RoomSettingsValidator.Settings.Where(s => s is not ("bypassPaths" or "allowCidrs" or "denyCidrs")), "draining"];

    /// <summary>ISO 8601 with seconds (and optional fraction) or minutes only; the offset is checked separately.</summary>
    private static readonly string[] s_timeFormats = ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"];

    private static readonly JsonReaderOptions s_readerOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>
    /// Reads the rooms file at <paramref name="path"/>: the rooms it defines, not including the
    /// default room. Every problem is added to <paramref name="errors"/> as "line N: reason"; a file
    /// that cannot be read gives one error without a line ("cannot be read: ...").
    /// </summary>
    /// <returns>The rooms, or an empty list when any problem was found.</returns>
    public static IReadOnlyList<RoomSettings> Read(string path, RoomSettings defaults, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException or SecurityException)
        {
            errors.Add($"cannot be read: {e.Message}");
            return [];
        }

        return Parse(json, defaults, errors);
    }

    /// <summary>
    /// Reads the rooms from the text of a rooms file (see <see cref="Read"/>). Line numbers are
    /// 1-based: the line of the offending token, or for a missing property the line of the object's '{'.
    /// </summary>
    /// <returns>The rooms, or an empty list when any problem was found.</returns>
    public static IReadOnlyList<RoomSettings> Parse(string json, RoomSettings defaults, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var checker = new Checker(defaults);
        var rooms = checker.Rooms(ReadTree(json, checker.Rules));
        foreach (var (line, text) in checker.Rules.Problems.OrderBy(p => p.Line))
        {
            errors.Add($"line {line}: {text}");
        }

        return checker.Rules.Problems.Count == 0 ? rooms : [];
    }

    /// <summary>
    /// Applies run-time settings (a JSON object of camelCase room settings, as the admin API's PATCH
    /// takes and the store keeps) to a copy of the configured room. A null value means "as
    /// configured". Each problem is added to <paramref name="errors"/> without a line number.
    /// </summary>
    /// <returns>The room with the settings applied, or null when any problem was found.</returns>
    public static RoomSettings? ApplyOverrides(string json, RoomSettings configured, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var checker = new Checker(configured);
        var room = checker.Overrides(ReadTree(json, checker.Rules));
        foreach (var (_, text) in checker.Rules.Problems.OrderBy(p => p.Line))
        {
            errors.Add(text);
        }

        return checker.Rules.Problems.Count == 0 ? room : null;
    }

    /// <summary>
    /// Parses an event time (rooms file, WR_EVENT_* variables): ISO 8601 with an offset or Z, such as
    /// <c>2026-12-01T09:00:00Z</c> or <c>2026-12-01T10:00:00+01:00</c>. A time without an offset is
    /// refused: on a server in another time zone it would silently mean another instant.
    /// </summary>
    internal static bool TryParseTime(string text, out DateTimeOffset time)
    {
        time = default;
        var clock = string.IsNullOrEmpty(text) ? -1 : text.IndexOf('T', StringComparison.Ordinal);
        var afterDate = clock < 0 ? default : text.AsSpan(clock + 1);
        var hasOffset = afterDate.EndsWith("Z", StringComparison.Ordinal) || afterDate.IndexOfAny('+', '-') >= 0;
        return hasOffset && DateTimeOffset.TryParseExact(text, s_timeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
    }

    private static SettingNode? ReadTree(string json, RoomSettingsValidator rules)
    {
        ArgumentNullException.ThrowIfNull(json);
        var bytes = Encoding.UTF8.GetBytes(json.StartsWith('\uFEFF') ? json[1..] : json);
        int[] newlines = [.. bytes.Index().Where(b => b.Item == (byte)'\n').Select(b => b.Index)];
        var reader = new Utf8JsonReader(bytes, s_readerOptions);
        try
        {
            Next(ref reader, newlines);
            var root = ReadNode(ref reader, newlines, rules);

            // Anything after the root value makes the reader throw.
            reader.Read();
            return root;
        }
        catch (JsonException e)
        {
            // The reader's message without its " LineNumber: ... | BytePositionInLine: ..." tail and final period.
            var tail = e.Message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            var reason = (tail >= 0 ? e.Message[..tail] : e.Message).TrimEnd().TrimEnd('.');
            rules.Add(e.LineNumber is { } zeroBased ? (int)zeroBased + 1 : newlines.Length + 1, $"invalid JSON: {reason}");
            return null;
        }
    }

    private static SettingNode ReadNode(ref Utf8JsonReader reader, int[] newlines, RoomSettingsValidator rules)
    {
        var line = LineOf(newlines, reader.TokenStartIndex);
        var node = new SettingNode(reader.TokenType, line)
        {
            Text = reader.TokenType switch
            {
                JsonTokenType.String => ReadString(ref reader, line),
                JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                _ => "",
            },
        };
        while (node.Kind == JsonTokenType.StartArray && Next(ref reader, newlines) != JsonTokenType.EndArray)
        {
            node.Items.Add(ReadNode(ref reader, newlines, rules));
        }

        while (node.Kind == JsonTokenType.StartObject && Next(ref reader, newlines) != JsonTokenType.EndObject)
        {
            var nameLine = LineOf(newlines, reader.TokenStartIndex);
            var name = ReadString(ref reader, nameLine);
            Next(ref reader, newlines);
            var value = ReadNode(ref reader, newlines, rules);
            var first = node.Members.FindIndex(m => m.Name == name);
            if (first >= 0)
            {
                rules.Add(nameLine, $"duplicate property '{RoomSettingsValidator.Printable(name)}' (first on line {node.Members[first].Line})");
            }
            else
            {
                node.Members.Add(new SettingMember(name, nameLine, value));
            }
        }

        return node;
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader, int[] newlines) =>
        reader.Read() ? reader.TokenType : throw new JsonException("unexpected end of the file", null, newlines.Length, null);

    private static string ReadString(ref Utf8JsonReader reader, int line)
    {
        try
        {
            return reader.GetString() ?? "";
        }
        catch (InvalidOperationException e)
        {
            throw new JsonException(e.Message, null, line - 1, null);
        }
    }

    /// <summary>The 1-based line of the byte at <paramref name="index"/>: one more than the newlines before it.</summary>
    private static int LineOf(int[] newlines, long index)
    {
        var found = Array.BinarySearch(newlines, (int)index);
        return (found >= 0 ? found : ~found) + 1;
    }

    private static bool IsHost(string host)
    {
        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        return host == "*" || (name.Length is > 0 and <= 253 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.') &&
            !name.StartsWith('.') && !name.EndsWith('.') && !name.Contains("..", StringComparison.Ordinal));
    }

    private static bool IsPathPrefix(string path) =>
        RoomSettingsValidator.IsBypassPath(path) && path.All(c => c is not ('?' or '#') && !char.IsWhiteSpace(c) && !char.IsControl(c));

    /// <summary>Checks the tree of one file (or one PATCH) and builds its rooms, collecting every problem.</summary>
    private sealed class Checker(RoomSettings defaults)
    {
        private readonly Dictionary<string, int> _nameLines = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, int> _matchLines = new(StringComparer.OrdinalIgnoreCase);

        public RoomSettingsValidator Rules { get; } = new();

        public List<RoomSettings> Rooms(SettingNode? root)
        {
            if (root is { Kind: not JsonTokenType.StartObject })
            {
                Rules.Add(root.Line, $"the file must be an object with the property 'rooms', got {RoomSettingsValidator.Describe(root)}");
            }

            if (root is not { Kind: JsonTokenType.StartObject })
            {
                return [];
            }

            foreach (var (key, keyLine, _) in root.Members.Where(m => m.Name != "rooms"))
            {
                Rules.Unknown(key, keyLine, "", ["rooms"]);
            }

            var list = root.Members.Find(m => m.Name == "rooms").Value;
            if (list is null)
            {
                Rules.Add(root.Line, "missing property 'rooms'");
                return [];
            }

            if (list.Kind != JsonTokenType.StartArray)
            {
                Rules.Expected(list, "rooms", "an array of room objects");
                return [];
            }

            var rooms = new List<RoomSettings>();
            for (var i = 0; i < list.Items.Count; i++)
            {
                if (list.Items[i].Kind == JsonTokenType.StartObject)
                {
                    rooms.Add(Room(list.Items[i]));
                }
                else
                {
                    Rules.Expected(list.Items[i], $"rooms[{i}]", "a room object");
                }
            }

            return rooms;
        }

        /// <summary>
        /// The run-time settings of the admin API applied to a copy of the configured room: its own
        /// settings and 'draining'; a null value keeps the configured setting. Name, host, path and
        /// bypass paths decide which requests the room takes and are refused.
        /// </summary>
        public RoomSettings? Overrides(SettingNode? root)
        {
            if (root is { Kind: not JsonTokenType.StartObject })
            {
                Rules.Add(root.Line, $"the settings must be an object, got {RoomSettingsValidator.Describe(root)}");
            }

            if (root is not { Kind: JsonTokenType.StartObject })
            {
                return null;
            }

            var room = defaults.Copy();
            foreach (var (key, keyLine, value) in root.Members.Where(m => m.Value.Kind != JsonTokenType.Null))
            {
                switch (key)
                {
                    case "name" or "host" or "path" or "bypassPaths" or "allowCidrs" or "denyCidrs":
                        Rules.Add(keyLine, $"'{key}' cannot be changed at run time: it decides which requests the room takes (change WR_ROOMS_FILE and restart)");
                        break;
                    case "draining":
                        room.Draining = Rules.Boolean(value, key) ?? room.Draining;
                        break;
                    default:
                        Apply(room, key, keyLine, value, s_overrideProperties);
                        break;
                }
            }

            Rules.CheckAdaptive(room);
            return room;
        }

        private RoomSettings Room(SettingNode node)
        {
            var room = defaults.Inherit(Name(node) ?? "");
            var matchIsValid = true;
            foreach (var (key, keyLine, value) in node.Members)
            {
                switch (key)
                {
                    case "name":
                        break;
                    case "host" when value.Kind == JsonTokenType.String && IsHost(value.Text):
                        room.Host = value.Text.ToLowerInvariant();
                        break;
                    case "path" when value.Kind == JsonTokenType.String && IsPathPrefix(value.Text):
                        room.Path = RoomTable.NormalizePath(value.Text);
                        break;
                    case "host" or "path":
                        Rules.Expected(value, key, key == "host" ? HostExpected : PathExpected);
                        matchIsValid = false;
                        break;
                    default:
                        Apply(room, key, keyLine, value, s_roomProperties);
                        break;
                }
            }

            Rules.CheckAdaptive(room);
            if (matchIsValid)
            {
                CheckMatch(node, room);
            }

            return room;
        }

        private void Apply(RoomSettings room, string key, int keyLine, SettingNode value, string[] known)
        {
            if (!Rules.Apply(room, key, value))
            {
                Rules.Unknown(key, keyLine, "", known);
            }
        }

        /// <summary>The room's name when it is present, valid and not yet used; otherwise null (and a problem).</summary>
        private string? Name(SettingNode room)
        {
            var value = room.Members.Find(m => m.Name == "name").Value;
            if (value is null)
            {
                Rules.Add(room.Line, "missing property 'name'");
            }
            else if (value.Kind != JsonTokenType.String || value.Text.Length is 0 or > 40 || !value.Text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                Rules.Expected(value, "name", NameExpected);
            }
            else if (string.Equals(value.Text, RoomPolicy.DefaultName, StringComparison.OrdinalIgnoreCase))
            {
                Rules.Add(value.Line, $"'name' cannot be {RoomSettingsValidator.Describe(value)}: the default room is set by the WR_* variables");
            }
            else if (!_nameLines.TryAdd(value.Text, value.Line))
            {
                Rules.Add(value.Line, $"'name' {RoomSettingsValidator.Describe(value)} is already used by the room on line {_nameLines[value.Text]} (names are compared case-insensitively)");
            }
            else
            {
                return value.Text;
            }

            return null;
        }

        /// <summary>A room must not catch everything, and no two rooms may catch the same requests.</summary>
        private void CheckMatch(SettingNode node, RoomSettings room)
        {
            if (room.Host == "*" && room.Path == "/")
            {
                Rules.Add(node.Line, "a room with host \"*\" and path \"/\" would take every request from the default room: " +
                    "give it a 'host' or a 'path' (the default room is set by the WR_* variables)");
            }
            else if (!_matchLines.TryAdd($"{room.Host} {room.Path}", node.Line))
            {
                Rules.Add(node.Line, $"host \"{room.Host}\" and path \"{RoomSettingsValidator.Printable(room.Path)}\" are already used by the room on line {_matchLines[$"{room.Host} {room.Path}"]}");
            }
        }
    }
}
