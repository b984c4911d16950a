using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;

namespace WaitingRoom.Rooms;

/// <summary>
/// Run-time settings of the rooms (the admin API's PATCH, drain and resume): one JSON object of
/// camelCase settings per room, kept in the store under the room's hash tag so a restart keeps
/// them and every instance follows. Each instance reads them at every promotion round, so a change
/// is in force everywhere within one WR_RELEASE_INTERVAL, and puts the configured room with the
/// settings applied into the <see cref="RoomTable"/>.
/// </summary>
internal sealed partial class RoomOverrides(IWaitingRoomStore store, RoomTable rooms, IOptions<WaitingRoomOptions> options, ILogger<RoomOverrides> logger)
{
    private readonly Dictionary<string, RoomSettings> _configured = options.Value.Rooms.ToDictionary(r => r.Name, StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string?> _applied = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _applyLock = new();

    /// <summary>The room as configured (variables and rooms file), before run-time settings.</summary>
    public RoomSettings? ConfiguredOf(string name) => _configured.GetValueOrDefault(name);

    /// <summary>The run-time settings in force for a room, as stored (an empty object when none).</summary>
    public JsonObject OverridesOf(string name)
    {
        lock (_applyLock)
        {
            return ParseObject(_applied.GetValueOrDefault(name)) ?? [];
        }
    }

    /// <summary>Reads every room's stored settings and applies those that changed since the last call.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        foreach (var name in _configured.Keys)
        {
            var text = await store.GetDocumentAsync(RoomKeys.SettingsDocument(name), cancellationToken);
            Apply(name, text);
        }
    }

    /// <summary>
    /// Merges <paramref name="patch"/> into the room's stored settings (a null value removes one:
    /// back to the configured value), checks the result as the rooms file is checked, stores it by
    /// compare-and-set and applies it here at once. Nothing is stored when a setting is invalid.
    /// </summary>
    public async Task<PatchOutcome> PatchAsync(string name, JsonObject patch, CancellationToken cancellationToken)
    {
        if (_configured.GetValueOrDefault(name) is not { } configured)
        {
            return PatchOutcome.UnknownRoom;
        }

        var done = await SharedDocument.ChangeAsync(
            store,
            RoomKeys.SettingsDocument(configured.Name),
            stored =>
            {
                var before = ParseObject(stored) ?? [];
                var after = (JsonObject)before.DeepClone();
                Merge(after, patch);
                var afterText = after.ToJsonString();
                var errors = new List<string>();
                return RoomsFileReader.ApplyOverrides(afterText, configured, errors) is null
                    ? (new PatchOutcome(before, null, errors), null)
                    : (new PatchOutcome(before, after, []), afterText);
            },
            cancellationToken);
        if (done is not { } result)
        {
            return new PatchOutcome(null, null, ["the settings changed several times meanwhile; try again"]);
        }

        if (result.Stored is not null)
        {
            Apply(configured.Name, result.Stored);
        }

        return result.Outcome;
    }

    private void Apply(string name, string? text)
    {
        lock (_applyLock)
        {
            if (_applied.TryGetValue(name, out var applied) && string.Equals(applied, text, StringComparison.Ordinal))
            {
                return;
            }

            var configured = _configured[name];
            var errors = new List<string>();
            var room = text is null ? configured : RoomsFileReader.ApplyOverrides(text, configured, errors);
            if (room is null)
            {
                // Written by another version, or by hand: keep what is in force and say so once.
                Log.StoredSettingsInvalid(logger, name, string.Join("; ", errors));
                _applied[name] = text;
                return;
            }

            rooms.Replace(room);
            var isFirst = !_applied.ContainsKey(name);
            _applied[name] = text;
            if (!isFirst || text is not null)
            {
                Log.SettingsApplied(logger, name, text ?? "{}");
            }
        }
    }

    /// <summary>A null removes a setting; the adaptive settings are merged one by one (pinning keeps "on", a null unpins).</summary>
    private static void Merge(JsonObject settings, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null)
            {
                settings.Remove(key);
            }
            else if (key == "adaptive" && value is JsonObject changes && settings[key] is JsonObject kept)
            {
                Merge(kept, changes);
            }
            else
            {
                settings[key] = value.DeepClone();
            }
        }
    }

    private static JsonObject? ParseObject(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The settings before and after a PATCH, or why it was refused (<see cref="Errors"/>).</summary>
    internal sealed record PatchOutcome(JsonObject? Before, JsonObject? After, IReadOnlyList<string> Errors)
    {
        public static PatchOutcome UnknownRoom { get; } = new(null, null, []);
    }
}
