using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Configuration;

/// <summary>
/// The one set of rules for a room's own settings (capacity, TTLs, mode, rates, session cap, page
/// text, bypass paths, the event and the adaptive capacity), used by every source of settings: the
/// WR_* variables of the default room, the rooms file and the admin API's PATCH. Each problem is
/// one line in the words of its source: <c>'maxActive' must be …, got "x"</c> for a JSON value
/// (with its line), <c>WR_MAX_ACTIVE='x' is not valid: expected ….</c> for a variable.
/// </summary>
internal sealed partial class RoomSettingsValidator
{
    private const int MaxActiveLimit = 10_000_000;
    private const double MaxTtlSeconds = 7 * 86400;

    /// <summary>The highest WR_MAX_QUEUE: a billion waiters is far past what one room's sorted set should hold.</summary>
    private const int MaxQueueLimit = 1_000_000_000;

    /// <summary>What a bypass path must be (also WR_BYPASS_PATHS).</summary>
    public const string BypassPathExpected = "a path prefix starting with '/', without '..'";

    /// <summary>A room's own settings, in the order the rooms file documents them, each with its rule.</summary>
    private static readonly (string Key, Action<RoomSettingsValidator, RoomSettings, SettingNode, string> Apply)[] s_rules =
    [
        ("maxActive", (v, room, node, key) => room.MaxActive = v.Integer(node, key, 1, MaxActiveLimit) ?? room.MaxActive),
        ("newUsersPerMinute", (v, room, node, key) => room.NewUsersPerMinute = v.Integer(node, key, 0, 10_000_000) ?? room.NewUsersPerMinute),
        ("maxNewPerIpPerMinute", (v, room, node, key) => room.MaxNewPerIpPerMinute = v.Integer(node, key, 0, 1_000_000) ?? room.MaxNewPerIpPerMinute),
        ("maxQueue", (v, room, node, key) => room.MaxQueue = v.Integer(node, key, 0, MaxQueueLimit) ?? room.MaxQueue),
        ("webhookUrl", (v, room, node, key) => room.WebhookUrl = v.WebhookUrl(node, key) ?? room.WebhookUrl),
        ("activeTtl", (v, room, node, key) => room.ActiveTtl = v.Duration(node, key, 0.1, MaxTtlSeconds) ?? room.ActiveTtl),
        ("queueTtl", (v, room, node, key) => room.QueueTtl = v.Duration(node, key, 0.1, MaxTtlSeconds) ?? room.QueueTtl),
        ("admissionWindow", (v, room, node, key) => room.AdmissionWindow = v.Duration(node, key, 0.1, MaxTtlSeconds) ?? room.AdmissionWindow),
        ("sessionMax", (v, room, node, key) => room.SessionMax = v.Duration(node, key, 0, 30 * 86400) ?? room.SessionMax),
        ("queueMode", (v, room, node, key) => room.QueueMode = v.Mode(node, key) ?? room.QueueMode),
        ("bypassPaths", (v, room, node, key) => room.BypassPaths = v.BypassPaths(node) ?? room.BypassPaths),
        ("allowCidrs", (v, room, node, key) => room.AllowCidrs = v.Networks(node, key) ?? room.AllowCidrs),
        ("denyCidrs", (v, room, node, key) => room.DenyCidrs = v.Networks(node, key) ?? room.DenyCidrs),
        ("title", (v, room, node, key) => room.Title = v.Text(node, key, 200) ?? room.Title),
        ("message", (v, room, node, key) => room.Message = v.Text(node, key, 1000) ?? room.Message),
        ("event", (v, room, node, key) => room.Event = v.Event(node)),
        ("adaptive", (v, room, node, key) => room.Adaptive = v.Adaptive(node, room.Adaptive) ?? room.Adaptive),
    ];

    /// <summary>A room's own settings (<see cref="Apply"/>), in the order the rooms file documents them.</summary>
    public static readonly string[] Settings = [.. s_rules.Select(r => r.Key)];

    /// <summary>The settings of the adaptive capacity, in the order the rooms file documents them.</summary>
    public static readonly string[] AdaptiveProperties = ["on", "min", "targetP95", "maxErrors", "pinned"];

    /// <summary>The settings of an event, in the order the rooms file documents them.</summary>
    public static readonly string[] EventProperties =
    [
        "start", "end", "prequeueStart", "shuffleAtStart", "maxActive", "newUsersPerMinute", "queueMode", "sessionMax", "title", "message",
    ];

    /// <summary>The WR_* variable of each setting of the default room (<c>event.start</c> is WR_EVENT_START), in the order they are read.</summary>
    public static readonly (string Key, string Variable)[] Variables =
    [
        ("maxActive", "WR_MAX_ACTIVE"), ("activeTtl", "WR_ACTIVE_TTL"), ("queueTtl", "WR_QUEUE_TTL"), ("admissionWindow", "WR_ADMISSION_WINDOW"),
        ("queueMode", "WR_QUEUE_MODE"), ("newUsersPerMinute", "WR_NEW_USERS_PER_MINUTE"), ("sessionMax", "WR_SESSION_MAX"),
        ("maxNewPerIpPerMinute", "WR_MAX_NEW_PER_IP_PER_MINUTE"), ("maxQueue", "WR_MAX_QUEUE"), ("webhookUrl", "WR_WEBHOOK_URL"), ("title", "WR_QUEUE_TITLE"), ("message", "WR_QUEUE_MESSAGE"),
        ("event.start", "WR_EVENT_START"), ("event.end", "WR_EVENT_END"), ("event.prequeueStart", "WR_EVENT_PREQUEUE_START"),
        ("event.shuffleAtStart", "WR_EVENT_SHUFFLE"), ("event.maxActive", "WR_EVENT_MAX_ACTIVE"), ("event.newUsersPerMinute", "WR_EVENT_NEW_USERS_PER_MINUTE"),
        ("event.queueMode", "WR_EVENT_QUEUE_MODE"), ("event.sessionMax", "WR_EVENT_SESSION_MAX"), ("event.title", "WR_EVENT_TITLE"), ("event.message", "WR_EVENT_MESSAGE"),
        ("adaptive.on", "WR_ADAPTIVE"), ("adaptive.min", "WR_MIN_ACTIVE"), ("adaptive.targetP95", "WR_ADAPTIVE_TARGET_P95"), ("adaptive.maxErrors", "WR_ADAPTIVE_MAX_ERRORS"),
    ];

    /// <summary>The adaptive settings last read, for the check against maxActive once every setting of the room is read.</summary>
    private SettingNode? _adaptive;

    /// <summary>Each problem: its line (0 for a variable) and the message in its source's words.</summary>
    public List<(int Line, string Text)> Problems { get; } = [];

    public static bool IsBypassPath(string path) => path.StartsWith('/') && !path.Contains("..", StringComparison.Ordinal);

    /// <summary>Applies one of a room's own settings (not its name or match); false when <paramref name="key"/> is not one.</summary>
    /// <param name="prefix">What the key is named after in a problem (<c>event.</c> for an event's setting).</param>
    public bool Apply(RoomSettings room, string key, SettingNode value, string prefix = "")
    {
        var rule = Array.Find(s_rules, r => r.Key == key);
        rule.Apply?.Invoke(this, room, value, prefix + key);
        return rule.Apply is not null;
    }

    /// <summary>An event: start and end are required, the end after the start, the pre-queue before it, a shuffle only with a pre-queue.</summary>
    public RoomEvent? Event(SettingNode node)
    {
        if (node.Kind != JsonTokenType.StartObject)
        {
            return Refused<RoomEvent>(node, "event", "an object");
        }

        var during = new RoomSettings();
        var times = new Dictionary<string, (SettingNode Node, DateTimeOffset? Time)>(StringComparer.Ordinal);
        bool? shuffle = null;
        foreach (var (key, keyLine, value) in node.Members)
        {
            switch (key)
            {
                case "start" or "end" or "prequeueStart":
                    times[key] = (value, Time(value, "event." + key));
                    break;
                case "shuffleAtStart":
                    shuffle = Boolean(value, "event." + key) ?? false;
                    break;
                case "maxActive" or "newUsersPerMinute" or "queueMode" or "sessionMax" or "title" or "message":
                    // The event's own value of a room setting, by the room's rule.
                    Apply(during, key, value, "event.");
                    break;
                default:
                    Unknown(key, keyLine, "event.", EventProperties);
                    break;
            }
        }

        foreach (var required in (string[])["start", "end"])
        {
            if (!times.ContainsKey(required))
            {
                Add(node.Line, $"missing property 'event.{required}'");
            }
        }

        var (start, end, prequeue) = (times.GetValueOrDefault("start").Time, times.GetValueOrDefault("end").Time, times.GetValueOrDefault("prequeueStart").Time);
        if (start is { } opening && end <= opening)
        {
            Statement(times["end"].Node, "event.end", "must be after {event.start}");
        }

        if (start is { } first && prequeue >= first)
        {
            Statement(times["prequeueStart"].Node, "event.prequeueStart", "must be before {event.start}");
        }

        if (shuffle == true && !times.ContainsKey("prequeueStart"))
        {
            var shuffleAt = node.Members.Find(m => m.Name == "shuffleAtStart").Value;
            Statement(shuffleAt, "event.shuffleAtStart", "is true but there is no {event.prequeueStart}: without a pre-queue there is nobody to shuffle at the start");
        }

        bool Has(string key) => node.Members.Exists(m => m.Name == key);
        return new RoomEvent
        {
            Start = start ?? default,
            End = end ?? default,
            PrequeueStart = prequeue,
            ShuffleAtStart = shuffle ?? false,
            MaxActive = Has("maxActive") ? during.MaxActive : null,
            NewUsersPerMinute = Has("newUsersPerMinute") ? during.NewUsersPerMinute : null,
            QueueMode = Has("queueMode") ? during.QueueMode : null,
            SessionMax = Has("sessionMax") ? during.SessionMax : null,
            Title = during.Title,
            Message = during.Message,
        };
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
            return Refused<AdaptiveSettings>(node, "adaptive", "true, false or an object with " + string.Join(", ", AdaptiveProperties));
        }

        _adaptive = node;
        var adaptive = current;
        foreach (var (key, keyLine, value) in node.Members)
        {
            if (!AdaptiveProperties.Contains(key))
            {
                Unknown(key, keyLine, "adaptive.", AdaptiveProperties);
                continue;
            }

            var label = "adaptive." + key;
            adaptive = key switch
            {
                "on" => adaptive with { On = Boolean(value, label) ?? adaptive.On },
                "min" => adaptive with { MinActive = Integer(value, label, 1, MaxActiveLimit) ?? adaptive.MinActive },
                "targetP95" => adaptive with { TargetP95 = Duration(value, label, 0.001, 600) ?? adaptive.TargetP95 },
                "maxErrors" => adaptive with { MaxErrors = Fraction(value, label) ?? adaptive.MaxErrors },
                "pinned" when value.Kind == JsonTokenType.Null => adaptive with { Pinned = null },
                _ => adaptive with { Pinned = Integer(value, label, 1, MaxActiveLimit) ?? adaptive.Pinned },
            };
        }

        return adaptive;
    }

    /// <summary>
    /// Once every setting of a room is read: the adaptive bounds in order (min at most maxActive)
    /// and a pinned capacity between them. The order of the settings in a file does not matter.
    /// </summary>
    public void CheckAdaptive(RoomSettings room)
    {
        var (adaptive, max) = (room.Adaptive, room.MaxActive.ToString(CultureInfo.InvariantCulture));
        if (_adaptive?.Members.Find(m => m.Name == "min").Value is { } minAt && adaptive.MinActive > room.MaxActive)
        {
            Statement(minAt, "adaptive.min", $"{{value}} is above {{maxActive}} ({max}): the adaptive capacity's lower bound must be at most its upper bound");
        }

        if (_adaptive?.Members.Find(m => m.Name == "pinned").Value is { } pinnedAt && adaptive.Pinned is { } pinned && (pinned > room.MaxActive || pinned < adaptive.MinActive))
        {
            var min = adaptive.MinActive.ToString(CultureInfo.InvariantCulture);
            Statement(pinnedAt, "adaptive.pinned", $"{{value}} is outside the adaptive bounds {{adaptive.min}} ({min}) to {{maxActive}} ({max})");
        }

        _adaptive = null;
    }

    /// <summary>true or false (in a variable also 1/0, yes/no, on/off).</summary>
    public bool? Boolean(SettingNode value, string key) => value.Kind switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ when value.Variable is not null && value.Text.ToUpperInvariant() is "TRUE" or "1" or "YES" or "ON" => true,
        _ when value.Variable is not null && value.Text.ToUpperInvariant() is "FALSE" or "0" or "NO" or "OFF" => false,
        _ => Refused<bool?>(value, key, "true or false"),
    };

    /// <summary>A whole number (in a variable, digits only).</summary>
    public int? Integer(SettingNode value, string key, int min, int max) =>
        (value.Kind == JsonTokenType.Number || (value.Variable is not null && value.Text.All(char.IsAsciiDigit))) &&
        long.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? (int)number
            : Refused<int?>(value, key, $"a whole number from {min} to {max}");

    /// <summary>A number of seconds (in a variable, digits and a decimal point).</summary>
    public TimeSpan? Duration(SettingNode value, string key, double min, double max) =>
        Number(value) is { } seconds && seconds >= min && seconds <= max
            ? TimeSpan.FromSeconds(seconds)
            : Refused<TimeSpan?>(value, key, string.Create(CultureInfo.InvariantCulture, $"a number of seconds from {min} to {max}"));

    /// <summary>The key of a property that is not one of <paramref name="known"/>, with a near miss it may mean.</summary>
    public void Unknown(string key, int line, string prefix, string[] known)
    {
        var hint = Suggest(key, known) is { } suggestion ? $" (did you mean '{suggestion}'?)" : "";
        Add(line, $"unknown property '{prefix}{Printable(key)}'{hint}; known properties: {string.Join(", ", known)}");
    }

    /// <summary>A problem that only one source has, already in that source's words.</summary>
    public void Add(int line, string message) => Problems.Add((line, message));

    /// <summary>The value is not what the setting takes: <paramref name="expected"/> says what it does.</summary>
    public void Expected(SettingNode value, string key, string expected, bool aString = false) =>
        Add(value.Line, value.Variable is { } variable
            ? $"{variable}='{WaitingRoomConfigurationException.Shown(value.Text)}' is not valid: expected {expected}."
            : $"'{key}' must be {(aString ? "a string: " : "")}{expected}, got {Describe(value)}");

    /// <summary>A value as the JSON sources show it in an error line: strings quoted and cut, other kinds named.</summary>
    public static string Describe(SettingNode node) => node.Kind switch
    {
        JsonTokenType.String => $"\"{Printable(node.Text)}\"",
        JsonTokenType.Number => Printable(node.Text),
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => node.Kind.ToString().ToLowerInvariant(),
    };

    /// <summary>Control characters (a line break would split the one-line message) shown as '?', long text cut.</summary>
    public static string Printable(string text) => WaitingRoomConfigurationException.Printable(text, 60);

    /// <summary>
    /// The value breaks a rule about it: <paramref name="text"/> follows the setting's name, with
    /// <c>{value}</c> for the value and <c>{key}</c> for another setting, each named by the source.
    /// </summary>
    private void Statement(SettingNode value, string key, string text) =>
        Add(value.Line, value.Variable is { } variable
            ? $"{variable}='{WaitingRoomConfigurationException.Shown(value.Text)}' {Resolve(text.Replace("{value} ", "", StringComparison.Ordinal), VariableOf, "")}."
            : $"'{key}' {Resolve(text, k => $"'{k}'", Describe(value))}");

    private static string VariableOf(string key) => Array.Find(Variables, v => v.Key == key).Variable;

    private static string Resolve(string text, Func<string, string> name, string value) =>
        Placeholder().Replace(text, m => m.Groups[1].Value == "value" ? value : name(m.Groups[1].Value));

    [GeneratedRegex(@"\{([A-Za-z.]+)\}")]
    private static partial Regex Placeholder();

    /// <summary>Records that the value is not what the setting takes; the setting keeps its value.</summary>
    private T? Refused<T>(SettingNode value, string key, string expected, bool aString = false)
    {
        Expected(value, key, expected, aString);
        return default;
    }

    private static double? Number(SettingNode value) =>
        (value.Kind == JsonTokenType.Number || value.Variable is not null) &&
        double.TryParse(value.Text, value.Variable is null ? NumberStyles.Float : NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;

    private double? Fraction(SettingNode value, string key) =>
        Number(value) is { } share && share is >= 0 and <= 1 ? share : Refused<double?>(value, key, "a share from 0 to 1, such as 0.05 for 5 %");

    private QueueMode? Mode(SettingNode value, string key) =>
        value.Kind == JsonTokenType.String && QueueModeNames.ByName.TryGetValue(value.Text, out var mode)
            ? mode
            : Refused<QueueMode?>(value, key, "one of fifo, random, passthrough, queue-all, reject", aString: true);

    private string? Text(SettingNode value, string key, int maxLength) =>
        value.Kind == JsonTokenType.String && value.Text.Length <= maxLength && !value.Text.Any(char.IsControl)
            ? value.Text
            : Refused<string>(value, key, $"a string of at most {maxLength} characters, without control characters");

    /// <summary>Where webhooks go: an absolute http(s) URL without credentials or fragment (the secret signs the body instead).</summary>
    private Uri? WebhookUrl(SettingNode value, string key) =>
        value.Kind == JsonTokenType.String && Webhooks.WebhookOptions.IsUrl(value.Text, out var url)
            ? url
            : Refused<Uri>(value, key, Webhooks.WebhookOptions.UrlExpected, aString: true);

    private string[]? BypassPaths(SettingNode value)
    {
        if (value.Kind != JsonTokenType.StartArray)
        {
            return Refused<string[]>(value, "bypassPaths", "an array of path prefixes");
        }

        var bad = value.Items.Select((item, i) => (Item: item, Index: i)).Where(p => p.Item.Kind != JsonTokenType.String || !IsBypassPath(p.Item.Text)).ToList();
        foreach (var (item, i) in bad)
        {
            Expected(item, $"bypassPaths[{i}]", BypassPathExpected, aString: true);
        }

        return bad.Count == 0 ? [.. value.Items.Select(i => i.Text)] : null;
    }

    /// <summary>An array of networks (<see cref="Access.NetworkList.TryParse"/>); each bad entry is one problem with its line.</summary>
    private Access.NetworkList? Networks(SettingNode value, string key)
    {
        if (value.Kind != JsonTokenType.StartArray)
        {
            return Refused<Access.NetworkList>(value, key, "an array of networks, such as [\"10.0.0.0/8\", \"2001:db8::/32\"]");
        }

        var networks = new List<System.Net.IPNetwork>();
        var good = true;
        for (var i = 0; i < value.Items.Count; i++)
        {
            if (value.Items[i] is { Kind: JsonTokenType.String } item && Access.NetworkList.TryParse(item.Text.Trim(), out var network))
            {
                networks.Add(network);
                continue;
            }

            Expected(value.Items[i], $"{key}[{i}]", Access.NetworkList.Expected, aString: true);
            good = false;
        }

        return good ? new Access.NetworkList(networks) : null;
    }

    private DateTimeOffset? Time(SettingNode value, string key)
    {
        if (value.Kind == JsonTokenType.String && RoomsFileReader.TryParseTime(value.Text, out var time))
        {
            return time;
        }

        if (value.Kind == JsonTokenType.String && RoomsFileReader.TryParseTime(value.Text + "Z", out _))
        {
            Statement(value, key, "{value} has no offset: add Z or an offset, such as \"2026-12-01T09:00:00Z\" or \"2026-12-01T10:00:00+01:00\"");
            return null;
        }

        return Refused<DateTimeOffset?>(value, key, "an ISO 8601 time with an offset or Z, such as \"2026-12-01T09:00:00Z\"", aString: true);
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
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1), Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}

/// <summary>
/// One value of a setting and where it is: a JSON token (with its 1-based line; objects keep their
/// members in order) or the text of a WR_* variable (<see cref="Variable"/>, line 0).
/// </summary>
internal sealed record SettingNode(JsonTokenType Kind, int Line, string? Variable = null)
{
    /// <summary>A string's value or a number's text as written.</summary>
    public string Text { get; init; } = "";

    public List<SettingMember> Members { get; } = [];

    public List<SettingNode> Items { get; } = [];
}

/// <summary>One property of an object: its name, the line of the name, its value.</summary>
internal readonly record struct SettingMember(string Name, int Line, SettingNode Value);
