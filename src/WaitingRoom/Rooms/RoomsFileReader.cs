using System.Globalization;
using System.Security;
using System.Text;
using System.Text.Json;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;

namespace WaitingRoom.Rooms;

/// <summary>
/// Reads the rooms file (WR_ROOMS_FILE):
/// <c>{"rooms":[{"name":"sale","host":"*","path":"/sale","maxActive":500}]}</c>.
/// Each room starts from the default room's numbers (<see cref="RoomSettings.Inherit"/>) and is
/// then overridden by its own settings. Comments and trailing commas are allowed; duplicate and
/// unknown property names are not, so a typo never passes silently.
/// </summary>
/// <remarks>
/// <see cref="JsonDocument"/> has no positions, so the file is read with <see cref="Utf8JsonReader"/>
/// into a small tree that remembers the line of every token; the tree is then checked as a whole, so
/// every problem is reported (a syntax error stops the reading: nothing after it can be trusted).
/// Each problem is one line, <c>line N: reason</c>, in line order.
/// </remarks>
public static class RoomsFileReader
{
    private const int MaxNameLength = 40;

    private const string NameExpected = "a string of 1 to 40 letters, digits, '-' or '_'";
    private const string HostExpected = "a string: \"*\", a host name without port (letters, digits, '-', '.') or \"*.example.com\"";
    private const string PathExpected = "a string: a path prefix starting with '/', without '..', '?', '#', spaces or control characters";

    private static readonly string[] s_topProperties = ["rooms"];

    private static readonly string[] s_roomProperties = ["name", "host", "path", .. RoomSettingsValidator.Settings];

    /// <summary>What the admin API may change at run time: the room's own settings but its bypass paths, and 'draining'.</summary>
    private static readonly string[] s_overrideProperties = [.. RoomSettingsValidator.Settings.Where(s => s != "bypassPaths"), "draining"];

    /// <summary>ISO 8601 with seconds (and optional fraction) or minutes only; the offset is checked separately.</summary>
    private static readonly string[] s_timeFormats = ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"];

    private static readonly JsonReaderOptions s_readerOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>
    /// Reads the rooms file at <paramref name="path"/>: the rooms it defines, not including the
    /// default room. Every problem is added to <paramref name="errors"/> as "line N: reason"; a file
    /// that cannot be read gives one error without a line ("cannot be read: ...").
    /// </summary>
    /// <returns>The rooms, or an empty list when any problem was found.</returns>
    public static IReadOnlyList<RoomSettings> Read(string path, RoomSettings defaults, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(defaults);
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
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(errors);

        var checker = new Checker(defaults);
        var rooms = checker.Check(json);
        foreach (var problem in checker.Problems.OrderBy(p => p.Line))
        {
            errors.Add($"line {problem.Line}: {Message(problem)}");
        }

        return checker.Problems.Count == 0 ? rooms : [];
    }

    /// <summary>
    /// Applies run-time settings (a JSON object of camelCase room settings, as the admin API's PATCH
    /// takes and the store keeps) to a copy of the configured room. A null value means "as
    /// configured". Each problem is added to <paramref name="errors"/> without a line number.
    /// </summary>
    /// <returns>The room with the settings applied, or null when any problem was found.</returns>
    public static RoomSettings? ApplyOverrides(string json, RoomSettings configured, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(configured);
        ArgumentNullException.ThrowIfNull(errors);

        var checker = new Checker(configured);
        var room = checker.Overrides(json, configured);
        foreach (var problem in checker.Problems.OrderBy(p => p.Line))
        {
            errors.Add(Message(problem));
        }

        return checker.Problems.Count == 0 ? room : null;
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
        if (clock < 0)
        {
            return false;
        }

        var afterDate = text.AsSpan(clock + 1);
        var hasOffset = afterDate.EndsWith("Z", StringComparison.Ordinal) || afterDate.IndexOfAny('+', '-') >= 0;
        return hasOffset && DateTimeOffset.TryParseExact(text, s_timeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
    }

    private static SettingNode? ReadTree(string json, RoomSettingsValidator problems)
    {
        var bytes = Encoding.UTF8.GetBytes(json.StartsWith('\uFEFF') ? json[1..] : json);
        var newlines = NewlinePositions(bytes);
        var reader = new Utf8JsonReader(bytes, s_readerOptions);
        try
        {
            Next(ref reader, newlines);
            var root = ReadNode(ref reader, newlines, problems);

            // Anything after the root value makes the reader throw.
            reader.Read();
            return root;
        }
        catch (JsonException e)
        {
            var line = e.LineNumber is { } zeroBased ? (int)zeroBased + 1 : newlines.Length + 1;
            problems.Add(line, $"invalid JSON: {SyntaxReason(e.Message)}");
            return null;
        }
    }

    private static SettingNode ReadNode(ref Utf8JsonReader reader, int[] newlines, RoomSettingsValidator problems)
    {
        var node = new SettingNode(reader.TokenType, LineOf(newlines, reader.TokenStartIndex));
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                while (Next(ref reader, newlines) != JsonTokenType.EndObject)
                {
                    var nameLine = LineOf(newlines, reader.TokenStartIndex);
                    var name = ReadString(ref reader, nameLine);
                    Next(ref reader, newlines);
                    var value = ReadNode(ref reader, newlines, problems);
                    var first = node.Members.FindIndex(m => string.Equals(m.Name, name, StringComparison.Ordinal));
                    if (first >= 0)
                    {
                        problems.Add(nameLine, $"duplicate property '{RoomSettingsValidator.Printable(name)}' (first on line {node.Members[first].Line})");
                    }
                    else
                    {
                        node.Members.Add(new SettingMember(name, nameLine, value));
                    }
                }

                break;
            case JsonTokenType.StartArray:
                while (Next(ref reader, newlines) != JsonTokenType.EndArray)
                {
                    node.Items.Add(ReadNode(ref reader, newlines, problems));
                }

                break;
            case JsonTokenType.String:
                node.Text = ReadString(ref reader, node.Line);
                break;
            case JsonTokenType.Number:
                node.Text = Encoding.UTF8.GetString(reader.ValueSpan);
                break;
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

    private static int[] NewlinePositions(byte[] bytes)
    {
        var positions = new List<int>();
        for (var i = Array.IndexOf(bytes, (byte)'\n'); i >= 0; i = Array.IndexOf(bytes, (byte)'\n', i + 1))
        {
            positions.Add(i);
        }

        return [.. positions];
    }

    /// <summary>The 1-based line of the byte at <paramref name="index"/>: one more than the newlines before it.</summary>
    private static int LineOf(int[] newlines, long index)
    {
        var found = Array.BinarySearch(newlines, (int)index);
        return (found >= 0 ? found : ~found) + 1;
    }

    /// <summary>The reader's message without its " LineNumber: ... | BytePositionInLine: ..." tail and final period.</summary>
    private static string SyntaxReason(string message)
    {
        var tail = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (tail >= 0 ? message[..tail] : message).TrimEnd().TrimEnd('.');
    }

    /// <summary>A problem in the words of the rooms file and the admin API: the setting's camelCase key.</summary>
    private static string Message(SettingProblem problem) => problem.Kind switch
    {
        SettingProblemKind.Expected => $"'{problem.Key}' must be {problem.Text}, got {RoomSettingsValidator.Describe(problem.At!)}",
        SettingProblemKind.Statement => $"'{problem.Key}' {RoomSettingsValidator.Resolve(problem.Text, key => $"'{key}'", RoomSettingsValidator.Describe(problem.At!))}",
        _ => problem.Text,
    };

    private static bool IsName(string name) =>
        name.Length is > 0 and <= MaxNameLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static bool IsHost(string host)
    {
        if (host == "*")
        {
            return true;
        }

        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        return name.Length is > 0 and <= 253 &&
            name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.') &&
            !name.StartsWith('.') && !name.EndsWith('.') && !name.Contains("..", StringComparison.Ordinal);
    }

    private static bool IsPathPrefix(string path) =>
        path.StartsWith('/') && !path.Contains("..", StringComparison.Ordinal) &&
        path.All(c => c is not ('?' or '#') && !char.IsWhiteSpace(c) && !char.IsControl(c));

    /// <summary>Checks the tree of one file and builds its rooms, collecting every problem.</summary>
    private sealed class Checker(RoomSettings defaults)
    {
        private readonly Dictionary<string, int> _nameLines = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, int> _matchLines = new(StringComparer.OrdinalIgnoreCase);

        private readonly RoomSettingsValidator _settings = new();

        public List<SettingProblem> Problems => _settings.Problems;

        public List<RoomSettings> Check(string json)
        {
            var rooms = new List<RoomSettings>();
            if (ReadTree(json, _settings) is not { } root)
            {
                return rooms;
            }

            if (root.Kind != JsonTokenType.StartObject)
            {
                Add(root.Line, $"the file must be an object with the property 'rooms', got {RoomSettingsValidator.Describe(root)}");
                return rooms;
            }

            SettingNode? list = null;
            foreach (var (key, keyLine, value) in root.Members)
            {
                if (key == "rooms")
                {
                    list = value;
                }
                else
                {
                    _settings.Unknown(key, keyLine, "", s_topProperties);
                }
            }

            if (list is null)
            {
                Add(root.Line, "missing property 'rooms'");
                return rooms;
            }

            if (list.Kind != JsonTokenType.StartArray)
            {
                Fail(list, "rooms", "an array of room objects");
                return rooms;
            }

            for (var i = 0; i < list.Items.Count; i++)
            {
                var item = list.Items[i];
                if (item.Kind == JsonTokenType.StartObject)
                {
                    rooms.Add(ReadRoom(item));
                }
                else
                {
                    Fail(item, $"rooms[{i}]", "a room object");
                }
            }

            return rooms;
        }

        private RoomSettings ReadRoom(SettingNode node)
        {
            var room = defaults.Inherit(ReadName(node) ?? "");
            var matchIsValid = true;
            foreach (var (key, keyLine, value) in node.Members)
            {
                switch (key)
                {
                    case "name":
                        break;
                    case "host":
                        if (Host(value) is { } host)
                        {
                            room.Host = host;
                        }
                        else
                        {
                            matchIsValid = false;
                        }

                        break;
                    case "path":
                        if (Path(value) is { } path)
                        {
                            room.Path = path;
                        }
                        else
                        {
                            matchIsValid = false;
                        }

                        break;
                    default:
                        if (!_settings.Apply(room, key, value))
                        {
                            _settings.Unknown(key, keyLine, "", s_roomProperties);
                        }

                        break;
                }
            }

            _settings.CheckAdaptive(room);
            if (matchIsValid)
            {
                CheckMatch(node, room);
            }

            return room;
        }

        /// <summary>
        /// The run-time settings of the admin API applied to a copy of <paramref name="configured"/>:
        /// the room's own settings and 'draining'; a null value keeps the configured setting. Name,
        /// host, path and bypass paths decide which requests the room takes and are refused.
        /// </summary>
        public RoomSettings? Overrides(string json, RoomSettings configured)
        {
            if (ReadTree(json, _settings) is not { } root)
            {
                return null;
            }

            if (root.Kind != JsonTokenType.StartObject)
            {
                Add(root.Line, $"the settings must be an object, got {RoomSettingsValidator.Describe(root)}");
                return null;
            }

            var room = configured.Copy();
            foreach (var (key, keyLine, value) in root.Members)
            {
                if (value.Kind == JsonTokenType.Null)
                {
                    continue;
                }

                switch (key)
                {
                    case "name" or "host" or "path" or "bypassPaths":
                        Add(keyLine, $"'{key}' cannot be changed at run time: it decides which requests the room takes (change WR_ROOMS_FILE and restart)");
                        break;
                    case "draining":
                        room.Draining = _settings.Boolean(value, key) ?? room.Draining;
                        break;
                    default:
                        if (!_settings.Apply(room, key, value))
                        {
                            _settings.Unknown(key, keyLine, "", s_overrideProperties);
                        }

                        break;
                }
            }

            _settings.CheckAdaptive(room);
            return room;
        }

        /// <summary>The room's name when it is present, valid and not yet used; otherwise null (and a problem).</summary>
        private string? ReadName(SettingNode room)
        {
            var index = room.Members.FindIndex(m => m.Name == "name");
            if (index < 0)
            {
                Add(room.Line, "missing property 'name'");
                return null;
            }

            var value = room.Members[index].Value;
            if (value.Kind != JsonTokenType.String || !IsName(value.Text))
            {
                Fail(value, "name", NameExpected);
                return null;
            }

            if (string.Equals(value.Text, RoomPolicy.DefaultName, StringComparison.OrdinalIgnoreCase))
            {
                Add(value.Line, $"'name' cannot be {RoomSettingsValidator.Describe(value)}: the default room is set by the WR_* variables");
                return null;
            }

            if (!_nameLines.TryAdd(value.Text, value.Line))
            {
                Add(value.Line, $"'name' {RoomSettingsValidator.Describe(value)} is already used by the room on line {_nameLines[value.Text]} (names are compared case-insensitively)");
                return null;
            }

            return value.Text;
        }

        /// <summary>A room must not catch everything, and no two rooms may catch the same requests.</summary>
        private void CheckMatch(SettingNode node, RoomSettings room)
        {
            if (room.Host == "*" && room.Path == "/")
            {
                Add(node.Line, "a room with host \"*\" and path \"/\" would take every request from the default room: " +
                    "give it a 'host' or a 'path' (the default room is set by the WR_* variables)");
                return;
            }

            var match = $"{room.Host} {room.Path}";
            if (!_matchLines.TryAdd(match, node.Line))
            {
                Add(node.Line, $"host \"{room.Host}\" and path \"{RoomSettingsValidator.Printable(room.Path)}\" are already used by the room on line {_matchLines[match]}");
            }
        }

        private string? Host(SettingNode value)
        {
            if (value.Kind == JsonTokenType.String && IsHost(value.Text))
            {
                return value.Text.ToLowerInvariant();
            }

            Fail(value, "host", HostExpected);
            return null;
        }

        private string? Path(SettingNode value)
        {
            if (value.Kind == JsonTokenType.String && IsPathPrefix(value.Text))
            {
                return RoomTable.NormalizePath(value.Text);
            }

            Fail(value, "path", PathExpected);
            return null;
        }

        private void Fail(SettingNode value, string label, string expected) => _settings.Expected(value, label, expected);

        private void Add(int line, string message) => _settings.Add(line, message);
    }
}
