using System.Globalization;
using System.Security;
using System.Text;
using System.Text.Json;
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
    private const int MaxActiveLimit = 10_000_000;
    private const int NewUsersPerMinuteLimit = 10_000_000;
    private const int NewPerIpPerMinuteLimit = 1_000_000;
    private const double MinTtlSeconds = 0.1;
    private const double MaxTtlSeconds = 7 * 86400;
    private const double MaxSessionSeconds = 30 * 86400;
    private const int MaxTitleLength = 200;
    private const int MaxMessageLength = 1000;
    private const int MaxPrintedLength = 60;

    private const string NameExpected = "a string of 1 to 40 letters, digits, '-' or '_'";
    private const string HostExpected = "a string: \"*\", a host name without port (letters, digits, '-', '.') or \"*.example.com\"";
    private const string PathExpected = "a string: a path prefix starting with '/', without '..', '?', '#', spaces or control characters";
    private const string BypassPathExpected = "a string: a path prefix starting with '/', without '..'";
    private const string QueueModeExpected = "a string: one of fifo, random, passthrough, queue-all, reject";
    private const string TimeExpected = "a string: an ISO 8601 time with an offset or Z, such as \"2026-12-01T09:00:00Z\"";

    private static readonly string[] s_topProperties = ["rooms"];

    private static readonly string[] s_roomProperties =
    [
        "name", "host", "path", "maxActive", "newUsersPerMinute", "maxNewPerIpPerMinute", "activeTtl", "queueTtl",
        "admissionWindow", "sessionMax", "queueMode", "bypassPaths", "title", "message", "event",
    ];

    /// <summary>What the admin API may change at run time: the room's own settings and 'draining'.</summary>
    private static readonly string[] s_overrideProperties =
    [
        "maxActive", "newUsersPerMinute", "maxNewPerIpPerMinute", "activeTtl", "queueTtl", "admissionWindow", "sessionMax",
        "queueMode", "title", "message", "event", "draining",
    ];

    private static readonly string[] s_eventProperties =
    [
        "start", "end", "prequeueStart", "shuffleAtStart", "maxActive", "newUsersPerMinute", "queueMode", "sessionMax", "title", "message",
    ];

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
        foreach (var (line, message) in checker.Problems.OrderBy(p => p.Line))
        {
            errors.Add($"line {line}: {message}");
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
        foreach (var (_, message) in checker.Problems.OrderBy(p => p.Line))
        {
            errors.Add(message);
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

    private static Node? ReadTree(string json, List<(int Line, string Message)> problems)
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
            problems.Add((line, $"invalid JSON: {SyntaxReason(e.Message)}"));
            return null;
        }
    }

    private static Node ReadNode(ref Utf8JsonReader reader, int[] newlines, List<(int Line, string Message)> problems)
    {
        var node = new Node(reader.TokenType, LineOf(newlines, reader.TokenStartIndex));
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
                        problems.Add((nameLine, $"duplicate property '{Printable(name)}' (first on line {node.Members[first].Line})"));
                    }
                    else
                    {
                        node.Members.Add(new Member(name, nameLine, value));
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

    /// <summary>A value as it appears in an error line: strings quoted and cut, other kinds named.</summary>
    private static string Describe(Node node) => node.Kind switch
    {
        JsonTokenType.String => $"\"{Printable(node.Text)}\"",
        JsonTokenType.Number => Printable(node.Text),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => node.Kind.ToString(),
    };

    /// <summary>Control characters (a line break would split the one-line message) shown as '?', long text cut.</summary>
    private static string Printable(string text) => Hosting.WaitingRoomConfigurationException.Printable(text, MaxPrintedLength);

    /// <summary>The known name meant by a near miss: the same name in another case, or one or two letters off.</summary>
    private static string? Suggest(string name, string[] known)
    {
        var sameLetters = Array.Find(known, k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
        if (sameLetters is not null || name.Length < 3)
        {
            return sameLetters;
        }

        var best = known.MinBy(k => EditDistance(k.ToUpperInvariant(), name.ToUpperInvariant()));
        return best is not null && EditDistance(best.ToUpperInvariant(), name.ToUpperInvariant()) <= 2 ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static string Seconds(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>One JSON value and the line it starts on; objects keep their members in file order.</summary>
    private sealed class Node(JsonTokenType kind, int line)
    {
        public JsonTokenType Kind { get; } = kind;

        public int Line { get; } = line;

        /// <summary>A string's value or a number's text as written.</summary>
        public string Text { get; set; } = "";

        public List<Member> Members { get; } = [];

        public List<Node> Items { get; } = [];
    }

    /// <summary>One property of an object: its name, the line of the name, its value.</summary>
    private readonly record struct Member(string Name, int Line, Node Value);

    /// <summary>Checks the tree of one file and builds its rooms, collecting every problem.</summary>
    private sealed class Checker(RoomSettings defaults)
    {
        private readonly Dictionary<string, int> _nameLines = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, int> _matchLines = new(StringComparer.OrdinalIgnoreCase);

        public List<(int Line, string Message)> Problems { get; } = [];

        public List<RoomSettings> Check(string json)
        {
            var rooms = new List<RoomSettings>();
            if (ReadTree(json, Problems) is not { } root)
            {
                return rooms;
            }

            if (root.Kind != JsonTokenType.StartObject)
            {
                Add(root.Line, $"the file must be an object with the property 'rooms', got {Describe(root)}");
                return rooms;
            }

            Node? list = null;
            foreach (var (key, keyLine, value) in root.Members)
            {
                if (key == "rooms")
                {
                    list = value;
                }
                else
                {
                    Unknown(key, keyLine, "", s_topProperties);
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

        private RoomSettings ReadRoom(Node node)
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
                        if (!ApplySetting(room, key, value))
                        {
                            Unknown(key, keyLine, "", s_roomProperties);
                        }

                        break;
                }
            }

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
            if (ReadTree(json, Problems) is not { } root)
            {
                return null;
            }

            if (root.Kind != JsonTokenType.StartObject)
            {
                Add(root.Line, $"the settings must be an object, got {Describe(root)}");
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
                        room.Draining = Boolean(value, key) ?? room.Draining;
                        break;
                    default:
                        if (!ApplySetting(room, key, value))
                        {
                            Unknown(key, keyLine, "", s_overrideProperties);
                        }

                        break;
                }
            }

            return room;
        }

        /// <summary>One of a room's own settings (not its name or match); false when <paramref name="key"/> is not one.</summary>
        private bool ApplySetting(RoomSettings room, string key, Node value)
        {
            switch (key)
            {
                case "maxActive":
                    room.MaxActive = Integer(value, key, 1, MaxActiveLimit) ?? room.MaxActive;
                    break;
                case "newUsersPerMinute":
                    room.NewUsersPerMinute = Integer(value, key, 0, NewUsersPerMinuteLimit) ?? room.NewUsersPerMinute;
                    break;
                case "maxNewPerIpPerMinute":
                    room.MaxNewPerIpPerMinute = Integer(value, key, 0, NewPerIpPerMinuteLimit) ?? room.MaxNewPerIpPerMinute;
                    break;
                case "activeTtl":
                    room.ActiveTtl = Duration(value, key, MinTtlSeconds, MaxTtlSeconds) ?? room.ActiveTtl;
                    break;
                case "queueTtl":
                    room.QueueTtl = Duration(value, key, MinTtlSeconds, MaxTtlSeconds) ?? room.QueueTtl;
                    break;
                case "admissionWindow":
                    room.AdmissionWindow = Duration(value, key, MinTtlSeconds, MaxTtlSeconds) ?? room.AdmissionWindow;
                    break;
                case "sessionMax":
                    room.SessionMax = Duration(value, key, 0, MaxSessionSeconds) ?? room.SessionMax;
                    break;
                case "queueMode":
                    room.QueueMode = Mode(value, key) ?? room.QueueMode;
                    break;
                case "bypassPaths":
                    room.BypassPaths = BypassPaths(value) ?? room.BypassPaths;
                    break;
                case "title":
                    room.Title = Text(value, key, MaxTitleLength) ?? room.Title;
                    break;
                case "message":
                    room.Message = Text(value, key, MaxMessageLength) ?? room.Message;
                    break;
                case "event":
                    room.Event = Event(value);
                    break;
                default:
                    return false;
            }

            return true;
        }

        /// <summary>The room's name when it is present, valid and not yet used; otherwise null (and a problem).</summary>
        private string? ReadName(Node room)
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
                Add(value.Line, $"'name' cannot be {Describe(value)}: the default room is set by the WR_* variables");
                return null;
            }

            if (!_nameLines.TryAdd(value.Text, value.Line))
            {
                Add(value.Line, $"'name' {Describe(value)} is already used by the room on line {_nameLines[value.Text]} (names are compared case-insensitively)");
                return null;
            }

            return value.Text;
        }

        /// <summary>A room must not catch everything, and no two rooms may catch the same requests.</summary>
        private void CheckMatch(Node node, RoomSettings room)
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
                Add(node.Line, $"host \"{room.Host}\" and path \"{Printable(room.Path)}\" are already used by the room on line {_matchLines[match]}");
            }
        }

        private RoomEvent? Event(Node node)
        {
            if (node.Kind != JsonTokenType.StartObject)
            {
                Fail(node, "event", "an object");
                return null;
            }

            var roomEvent = new RoomEvent();
            DateTimeOffset? start = null, end = null, prequeue = null;
            bool hasStart = false, hasEnd = false, hasPrequeue = false;
            int endLine = 0, prequeueLine = 0, shuffleLine = 0;
            foreach (var (key, keyLine, value) in node.Members)
            {
                var label = "event." + key;
                switch (key)
                {
                    case "start":
                        hasStart = true;
                        start = Time(value, label);
                        break;
                    case "end":
                        hasEnd = true;
                        end = Time(value, label);
                        endLine = value.Line;
                        break;
                    case "prequeueStart":
                        hasPrequeue = true;
                        prequeue = Time(value, label);
                        prequeueLine = value.Line;
                        break;
                    case "shuffleAtStart":
                        roomEvent.ShuffleAtStart = Boolean(value, label) ?? false;
                        shuffleLine = value.Line;
                        break;
                    case "maxActive":
                        roomEvent.MaxActive = Integer(value, label, 1, MaxActiveLimit);
                        break;
                    case "newUsersPerMinute":
                        roomEvent.NewUsersPerMinute = Integer(value, label, 0, NewUsersPerMinuteLimit);
                        break;
                    case "queueMode":
                        roomEvent.QueueMode = Mode(value, label);
                        break;
                    case "sessionMax":
                        roomEvent.SessionMax = Duration(value, label, 0, MaxSessionSeconds);
                        break;
                    case "title":
                        roomEvent.Title = Text(value, label, MaxTitleLength);
                        break;
                    case "message":
                        roomEvent.Message = Text(value, label, MaxMessageLength);
                        break;
                    default:
                        Unknown(key, keyLine, "event.", s_eventProperties);
                        break;
                }
            }

            if (!hasStart)
            {
                Add(node.Line, "missing property 'event.start'");
            }

            if (!hasEnd)
            {
                Add(node.Line, "missing property 'event.end'");
            }

            if (start is { } startTime && end is { } endTime && endTime <= startTime)
            {
                Add(endLine, "'event.end' must be after 'event.start'");
            }

            if (start is { } opening && prequeue is { } prequeueTime && prequeueTime >= opening)
            {
                Add(prequeueLine, "'event.prequeueStart' must be before 'event.start'");
            }

            if (roomEvent.ShuffleAtStart && !hasPrequeue)
            {
                Add(shuffleLine, "'event.shuffleAtStart' is true but there is no 'event.prequeueStart': without a pre-queue there is nobody to shuffle at the start");
            }

            roomEvent.Start = start ?? default;
            roomEvent.End = end ?? default;
            roomEvent.PrequeueStart = prequeue;
            return roomEvent;
        }

        private string? Host(Node value)
        {
            if (value.Kind == JsonTokenType.String && IsHost(value.Text))
            {
                return value.Text.ToLowerInvariant();
            }

            Fail(value, "host", HostExpected);
            return null;
        }

        private string? Path(Node value)
        {
            if (value.Kind == JsonTokenType.String && IsPathPrefix(value.Text))
            {
                return RoomTable.NormalizePath(value.Text);
            }

            Fail(value, "path", PathExpected);
            return null;
        }

        private string[]? BypassPaths(Node value)
        {
            if (value.Kind != JsonTokenType.StartArray)
            {
                Fail(value, "bypassPaths", "an array of path prefixes");
                return null;
            }

            var paths = new List<string>();
            for (var i = 0; i < value.Items.Count; i++)
            {
                var item = value.Items[i];
                if (item.Kind == JsonTokenType.String && item.Text.StartsWith('/') && !item.Text.Contains("..", StringComparison.Ordinal))
                {
                    paths.Add(item.Text);
                }
                else
                {
                    Fail(item, $"bypassPaths[{i}]", BypassPathExpected);
                }
            }

            return paths.Count == value.Items.Count ? [.. paths] : null;
        }

        private int? Integer(Node value, string label, int min, int max)
        {
            if (value.Kind == JsonTokenType.Number &&
                long.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) &&
                number >= min && number <= max)
            {
                return (int)number;
            }

            Fail(value, label, $"a whole number from {min} to {max}");
            return null;
        }

        private TimeSpan? Duration(Node value, string label, double min, double max)
        {
            if (value.Kind == JsonTokenType.Number &&
                double.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) &&
                seconds >= min && seconds <= max)
            {
                return TimeSpan.FromSeconds(seconds);
            }

            Fail(value, label, $"a number of seconds from {Seconds(min)} to {Seconds(max)}");
            return null;
        }

        private QueueMode? Mode(Node value, string label)
        {
            if (value.Kind == JsonTokenType.String && QueueModeNames.ByName.TryGetValue(value.Text, out var mode))
            {
                return mode;
            }

            Fail(value, label, QueueModeExpected);
            return null;
        }

        private bool? Boolean(Node value, string label)
        {
            switch (value.Kind)
            {
                case JsonTokenType.True:
                    return true;
                case JsonTokenType.False:
                    return false;
                default:
                    Fail(value, label, "true or false");
                    return null;
            }
        }

        private string? Text(Node value, string label, int maxLength)
        {
            if (value.Kind == JsonTokenType.String && value.Text.Length <= maxLength && !value.Text.Any(char.IsControl))
            {
                return value.Text;
            }

            Fail(value, label, $"a string of at most {maxLength} characters, without control characters");
            return null;
        }

        private DateTimeOffset? Time(Node value, string label)
        {
            if (value.Kind == JsonTokenType.String)
            {
                if (TryParseTime(value.Text, out var time))
                {
                    return time;
                }

                if (TryParseTime(value.Text + "Z", out _))
                {
                    Add(value.Line, $"'{label}' {Describe(value)} has no offset: add Z or an offset, such as \"2026-12-01T09:00:00Z\" or \"2026-12-01T10:00:00+01:00\"");
                    return null;
                }
            }

            Fail(value, label, TimeExpected);
            return null;
        }

        private void Unknown(string key, int line, string prefix, string[] known)
        {
            var hint = Suggest(key, known) is { } suggestion ? $" (did you mean '{suggestion}'?)" : "";
            Add(line, $"unknown property '{prefix}{Printable(key)}'{hint}; known properties: {string.Join(", ", known)}");
        }

        private void Fail(Node value, string label, string expected) =>
            Add(value.Line, $"'{label}' must be {expected}, got {Describe(value)}");

        private void Add(int line, string message) => Problems.Add((line, message));
    }
}
