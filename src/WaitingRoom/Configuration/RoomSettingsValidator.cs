using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Configuration;

/// <summary>
/// The one set of rules for a room's own settings (capacity, TTLs, mode, rates, session cap, page
/// text, bypass paths and the event), used by every source of settings: the WR_* variables of the
/// default room, the rooms file and the admin API's PATCH. Each problem is recorded with the value
/// and the setting's key (<c>maxActive</c>, <c>event.end</c>); the source names it its own way
/// (<c>line 5: 'maxActive' must be …</c>, <c>WR_MAX_ACTIVE='x' is not valid: expected …</c>).
/// </summary>
internal sealed partial class RoomSettingsValidator
{
    private const int MaxActiveLimit = 10_000_000;
    private const int NewUsersPerMinuteLimit = 10_000_000;
    private const int NewPerIpPerMinuteLimit = 1_000_000;
    private const double MinTtlSeconds = 0.1;
    private const double MaxTtlSeconds = 7 * 86400;
    private const double MaxSessionSeconds = 30 * 86400;
    private const int MaxTitleLength = 200;
    private const int MaxMessageLength = 1000;
    private const double MinTargetSeconds = 0.001;
    private const double MaxTargetSeconds = 600;

    /// <summary>Where the adaptive bounds were given (for the check against maxActive once every setting is read).</summary>
    private SettingNode? _adaptiveMinAt;
    private SettingNode? _adaptivePinnedAt;

    /// <summary>What a bypass path must be (also WR_BYPASS_PATHS).</summary>
    public const string BypassPathExpected = "a path prefix starting with '/', without '..'";

    /// <summary>A room's own settings (<see cref="Apply"/>), in the order the rooms file documents them.</summary>
    public static readonly string[] Settings =
    [
        "maxActive", "newUsersPerMinute", "maxNewPerIpPerMinute", "activeTtl", "queueTtl", "admissionWindow", "sessionMax",
        "queueMode", "bypassPaths", "title", "message", "event", "adaptive",
    ];

    /// <summary>The settings of the adaptive capacity, in the order the rooms file documents them.</summary>
    public static readonly string[] AdaptiveProperties = ["on", "min", "targetP95", "maxErrors", "pinned"];

    /// <summary>The settings of an event, in the order the rooms file documents them.</summary>
    public static readonly string[] EventProperties =
    [
        "start", "end", "prequeueStart", "shuffleAtStart", "maxActive", "newUsersPerMinute", "queueMode", "sessionMax", "title", "message",
    ];

    /// <summary>
    /// Values from WR_* variables: numbers and true/false are text there, read with the variables'
    /// stricter syntax (digits and a decimal point only; true/false, 1/0, yes/no, on/off).
    /// </summary>
    public bool FromVariables { get; init; }

    public List<SettingProblem> Problems { get; } = [];

    public static bool IsBypassPath(string path) => path.StartsWith('/') && !path.Contains("..", StringComparison.Ordinal);

    /// <summary>Applies one of a room's own settings (not its name or match); false when <paramref name="key"/> is not one.</summary>
    /// <param name="room">The room the setting is applied to.</param>
    /// <param name="key">The setting's camelCase name.</param>
    /// <param name="value">The value.</param>
    /// <param name="prefix">What the key is named after in a problem (<c>event.</c> for an event's setting).</param>
    public bool Apply(RoomSettings room, string key, SettingNode value, string prefix = "")
    {
        var label = prefix + key;
        switch (key)
        {
            case "maxActive":
                room.MaxActive = Integer(value, label, 1, MaxActiveLimit) ?? room.MaxActive;
                break;
            case "newUsersPerMinute":
                room.NewUsersPerMinute = Integer(value, label, 0, NewUsersPerMinuteLimit) ?? room.NewUsersPerMinute;
                break;
            case "maxNewPerIpPerMinute":
                room.MaxNewPerIpPerMinute = Integer(value, label, 0, NewPerIpPerMinuteLimit) ?? room.MaxNewPerIpPerMinute;
                break;
            case "activeTtl":
                room.ActiveTtl = Duration(value, label, MinTtlSeconds, MaxTtlSeconds) ?? room.ActiveTtl;
                break;
            case "queueTtl":
                room.QueueTtl = Duration(value, label, MinTtlSeconds, MaxTtlSeconds) ?? room.QueueTtl;
                break;
            case "admissionWindow":
                room.AdmissionWindow = Duration(value, label, MinTtlSeconds, MaxTtlSeconds) ?? room.AdmissionWindow;
                break;
            case "sessionMax":
                room.SessionMax = Duration(value, label, 0, MaxSessionSeconds) ?? room.SessionMax;
                break;
            case "queueMode":
                room.QueueMode = Mode(value, label) ?? room.QueueMode;
                break;
            case "bypassPaths":
                room.BypassPaths = BypassPaths(value) ?? room.BypassPaths;
                break;
            case "title":
                room.Title = Text(value, label, MaxTitleLength) ?? room.Title;
                break;
            case "message":
                room.Message = Text(value, label, MaxMessageLength) ?? room.Message;
                break;
            case "event":
                room.Event = Event(value);
                break;
            case "adaptive":
                room.Adaptive = Adaptive(value, room.Adaptive) ?? room.Adaptive;
                break;
            default:
                return false;
        }

        return true;
    }

    /// <summary>An event: start and end are required, the end after the start, the pre-queue before it, a shuffle only with a pre-queue.</summary>
    public RoomEvent? Event(SettingNode node)
    {
        if (node.Kind != JsonTokenType.StartObject)
        {
            Expected(node, "event", "an object");
            return null;
        }

        var roomEvent = new RoomEvent();
        var during = new RoomSettings();
        var set = new HashSet<string>(StringComparer.Ordinal);
        SettingNode? startNode = null, endNode = null, prequeueNode = null, shuffleNode = null;
        DateTimeOffset? start = null, end = null, prequeue = null;
        foreach (var (key, keyLine, value) in node.Members)
        {
            var label = "event." + key;
            switch (key)
            {
                case "start":
                    (startNode, start) = (value, Time(value, label));
                    break;
                case "end":
                    (endNode, end) = (value, Time(value, label));
                    break;
                case "prequeueStart":
                    (prequeueNode, prequeue) = (value, Time(value, label));
                    break;
                case "shuffleAtStart":
                    (shuffleNode, roomEvent.ShuffleAtStart) = (value, Boolean(value, label) ?? false);
                    break;
                case "maxActive" or "newUsersPerMinute" or "queueMode" or "sessionMax" or "title" or "message":
                    // The event's own value of a room setting, by the room's rule.
                    Apply(during, key, value, "event.");
                    set.Add(key);
                    break;
                default:
                    Unknown(key, keyLine, "event.", EventProperties);
                    break;
            }
        }

        if (startNode is null)
        {
            Add(node.Line, "missing property 'event.start'");
        }

        if (endNode is null)
        {
            Add(node.Line, "missing property 'event.end'");
        }

        if (start is { } opening && end is { } closing && closing <= opening)
        {
            Statement(endNode!, "event.end", "must be after {event.start}");
        }

        if (start is { } first && prequeue is { } waiting && waiting >= first)
        {
            Statement(prequeueNode!, "event.prequeueStart", "must be before {event.start}");
        }

        if (roomEvent.ShuffleAtStart && prequeueNode is null)
        {
            Statement(shuffleNode!, "event.shuffleAtStart", "is true but there is no {event.prequeueStart}: without a pre-queue there is nobody to shuffle at the start");
        }

        roomEvent.MaxActive = set.Contains("maxActive") ? during.MaxActive : null;
        roomEvent.NewUsersPerMinute = set.Contains("newUsersPerMinute") ? during.NewUsersPerMinute : null;
        roomEvent.QueueMode = set.Contains("queueMode") ? during.QueueMode : null;
        roomEvent.SessionMax = set.Contains("sessionMax") ? during.SessionMax : null;
        roomEvent.Title = during.Title;
        roomEvent.Message = during.Message;
        roomEvent.Start = start ?? default;
        roomEvent.End = end ?? default;
        roomEvent.PrequeueStart = prequeue;
        return roomEvent;
    }

    /// <summary>
    /// The adaptive capacity: <c>true</c>/<c>false</c>, or an object of <see cref="AdaptiveProperties"/>
    /// applied over <paramref name="current"/> (a setting left out keeps its value; <c>pinned: null</c> unpins).
    /// </summary>
    public AdaptiveSettings? Adaptive(SettingNode node, AdaptiveSettings current)
    {
        if (node.Kind is JsonTokenType.True or JsonTokenType.False)
        {
            return current with { On = node.Kind == JsonTokenType.True };
        }

        if (node.Kind != JsonTokenType.StartObject)
        {
            Expected(node, "adaptive", "true, false or an object with " + string.Join(", ", AdaptiveProperties));
            return null;
        }

        var adaptive = current;
        foreach (var (key, keyLine, value) in node.Members)
        {
            var label = "adaptive." + key;
            switch (key)
            {
                case "on":
                    adaptive = adaptive with { On = Boolean(value, label) ?? adaptive.On };
                    break;
                case "min":
                    adaptive = adaptive with { MinActive = Integer(value, label, 1, MaxActiveLimit) ?? adaptive.MinActive };
                    _adaptiveMinAt = value;
                    break;
                case "targetP95":
                    adaptive = adaptive with { TargetP95 = Duration(value, label, MinTargetSeconds, MaxTargetSeconds) ?? adaptive.TargetP95 };
                    break;
                case "maxErrors":
                    adaptive = adaptive with { MaxErrors = Fraction(value, label) ?? adaptive.MaxErrors };
                    break;
                case "pinned" when value.Kind == JsonTokenType.Null:
                    adaptive = adaptive with { Pinned = null };
                    break;
                case "pinned":
                    adaptive = adaptive with { Pinned = Integer(value, label, 1, MaxActiveLimit) ?? adaptive.Pinned };
                    _adaptivePinnedAt = value;
                    break;
                default:
                    Unknown(key, keyLine, "adaptive.", AdaptiveProperties);
                    break;
            }
        }

        return adaptive;
    }

    /// <summary>
    /// Once every setting of a room is read: the adaptive bounds in order (min at most maxActive)
    /// and a pinned capacity between them. The order of the settings in a file does not matter.
    /// </summary>
    public void CheckAdaptive(RoomSettings room)
    {
        var adaptive = room.Adaptive;
        var max = room.MaxActive.ToString(CultureInfo.InvariantCulture);
        if (_adaptiveMinAt is { } minAt && adaptive.MinActive > room.MaxActive)
        {
            Statement(minAt, "adaptive.min", $"{{value}} is above {{maxActive}} ({max}): the adaptive capacity's lower bound must be at most its upper bound");
        }

        if (_adaptivePinnedAt is { } pinnedAt && adaptive.Pinned is { } pinned && (pinned > room.MaxActive || pinned < adaptive.MinActive))
        {
            var min = adaptive.MinActive.ToString(CultureInfo.InvariantCulture);
            Statement(pinnedAt, "adaptive.pinned", $"{{value}} is outside the adaptive bounds {{adaptive.min}} ({min}) to {{maxActive}} ({max})");
        }

        (_adaptiveMinAt, _adaptivePinnedAt) = (null, null);
    }

    /// <summary>A share from 0 to 1 (a number; in a variable, digits and a decimal point).</summary>
    public double? Fraction(SettingNode value, string label)
    {
        var styles = value.Kind == JsonTokenType.Number ? NumberStyles.Float
            : FromVariables && value.Kind == JsonTokenType.String ? NumberStyles.AllowDecimalPoint
            : (NumberStyles?)null;
        if (styles is { } allowed && double.TryParse(value.Text, allowed, CultureInfo.InvariantCulture, out var share) && share is >= 0 and <= 1)
        {
            return share;
        }

        Expected(value, label, "a share from 0 to 1, such as 0.05 for 5 %");
        return null;
    }

    public bool? Boolean(SettingNode value, string label)
    {
        switch (value.Kind)
        {
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.String when FromVariables:
                switch (value.Text.ToLowerInvariant())
                {
                    case "true" or "1" or "yes" or "on":
                        return true;
                    case "false" or "0" or "no" or "off":
                        return false;
                }

                break;
        }

        Expected(value, label, "true or false");
        return null;
    }

    /// <summary>A known property name meant by a near miss, with the list of known ones.</summary>
    public void Unknown(string key, int line, string prefix, string[] known)
    {
        var hint = Suggest(key, known) is { } suggestion ? $" (did you mean '{suggestion}'?)" : "";
        Add(line, $"unknown property '{prefix}{Printable(key)}'{hint}; known properties: {string.Join(", ", known)}");
    }

    /// <summary>A problem that only one source has, already in that source's words.</summary>
    public void Add(int line, string message) => Add(new(line, null, "", message, SettingProblemKind.Plain));

    /// <summary>The value is not what the setting takes: <paramref name="expected"/> says what it does.</summary>
    public void Expected(SettingNode value, string key, string expected, bool aString = false) =>
        Add(new(value.Line, value, key, aString ? "a string: " + expected : expected, SettingProblemKind.Expected));

    /// <summary>
    /// The value breaks a rule about it: <paramref name="text"/> follows the setting's name, with
    /// <c>{value}</c> for the value and <c>{key}</c> for another setting, each named by the source.
    /// </summary>
    public void Statement(SettingNode value, string key, string text) =>
        Add(new(value.Line, value, key, text, SettingProblemKind.Statement));

    /// <summary>A value as the JSON sources show it in an error line: strings quoted and cut, other kinds named.</summary>
    public static string Describe(SettingNode node) => node.Kind switch
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
    public static string Printable(string text) => WaitingRoomConfigurationException.Printable(text, 60);

    /// <summary>The text of a statement with each <c>{key}</c> named by <paramref name="name"/> and <c>{value}</c> by <paramref name="value"/>.</summary>
    public static string Resolve(string text, Func<string, string> name, string value) =>
        Placeholder().Replace(text, m => m.Groups[1].Value == "value" ? value : name(m.Groups[1].Value));

    [GeneratedRegex(@"\{([A-Za-z.]+)\}")]
    private static partial Regex Placeholder();

    private void Add(SettingProblem problem) => Problems.Add(problem);

    public int? Integer(SettingNode value, string label, int min, int max)
    {
        var isNumber = value.Kind == JsonTokenType.Number || (FromVariables && value.Kind == JsonTokenType.String && value.Text.All(char.IsAsciiDigit));
        if (isNumber && long.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
        {
            return (int)number;
        }

        Expected(value, label, $"a whole number from {min} to {max}");
        return null;
    }

    public TimeSpan? Duration(SettingNode value, string label, double min, double max)
    {
        var styles = value.Kind == JsonTokenType.Number ? NumberStyles.Float
            : FromVariables && value.Kind == JsonTokenType.String ? NumberStyles.AllowDecimalPoint
            : (NumberStyles?)null;
        if (styles is { } allowed && double.TryParse(value.Text, allowed, CultureInfo.InvariantCulture, out var seconds) && seconds >= min && seconds <= max)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        Expected(value, label, $"a number of seconds from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
        return null;
    }

    private QueueMode? Mode(SettingNode value, string label)
    {
        if (value.Kind == JsonTokenType.String && QueueModeNames.ByName.TryGetValue(value.Text, out var mode))
        {
            return mode;
        }

        Expected(value, label, "one of fifo, random, passthrough, queue-all, reject", aString: true);
        return null;
    }

    private string? Text(SettingNode value, string label, int maxLength)
    {
        if (value.Kind == JsonTokenType.String && value.Text.Length <= maxLength && !value.Text.Any(char.IsControl))
        {
            return value.Text;
        }

        Expected(value, label, $"a string of at most {maxLength} characters, without control characters");
        return null;
    }

    private string[]? BypassPaths(SettingNode value)
    {
        if (value.Kind != JsonTokenType.StartArray)
        {
            Expected(value, "bypassPaths", "an array of path prefixes");
            return null;
        }

        var paths = new List<string>();
        for (var i = 0; i < value.Items.Count; i++)
        {
            var item = value.Items[i];
            if (item.Kind == JsonTokenType.String && IsBypassPath(item.Text))
            {
                paths.Add(item.Text);
            }
            else
            {
                Expected(item, $"bypassPaths[{i}]", BypassPathExpected, aString: true);
            }
        }

        return paths.Count == value.Items.Count ? [.. paths] : null;
    }

    private DateTimeOffset? Time(SettingNode value, string label)
    {
        if (value.Kind == JsonTokenType.String)
        {
            if (RoomsFileReader.TryParseTime(value.Text, out var time))
            {
                return time;
            }

            if (RoomsFileReader.TryParseTime(value.Text + "Z", out _))
            {
                Statement(value, label, "{value} has no offset: add Z or an offset, such as \"2026-12-01T09:00:00Z\" or \"2026-12-01T10:00:00+01:00\"");
                return null;
            }
        }

        Expected(value, label, "an ISO 8601 time with an offset or Z, such as \"2026-12-01T09:00:00Z\"", aString: true);
        return null;
    }

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
}

/// <summary>
/// One value of a setting and where it is: a JSON token (with its 1-based line; objects keep their
/// members in order) or the text of a WR_* variable (<see cref="Variable"/>).
/// </summary>
internal sealed class SettingNode(JsonTokenType kind, int line, string? variable = null)
{
    public JsonTokenType Kind { get; } = kind;

    public int Line { get; } = line;

    /// <summary>The variable the value was read from; null for JSON.</summary>
    public string? Variable { get; } = variable;

    /// <summary>A string's value or a number's text as written.</summary>
    public string Text { get; set; } = "";

    public List<SettingMember> Members { get; } = [];

    public List<SettingNode> Items { get; } = [];
}

/// <summary>One property of an object: its name, the line of the name, its value.</summary>
internal readonly record struct SettingMember(string Name, int Line, SettingNode Value);

internal enum SettingProblemKind
{
    /// <summary>The value is not of the kind or range the setting takes; the text says what is.</summary>
    Expected,

    /// <summary>The value breaks a rule; the text follows the setting's name.</summary>
    Statement,

    /// <summary>A problem in the source's own words (structure of a file, unknown properties).</summary>
    Plain,
}

/// <summary>One problem of a room's settings: the line, the value, the setting's key and what is wrong.</summary>
internal readonly record struct SettingProblem(int Line, SettingNode? At, string Key, string Text, SettingProblemKind Kind);
