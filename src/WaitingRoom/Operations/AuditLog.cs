using System.Globalization;
using Microsoft.Extensions.Logging;
using WaitingRoom.Queue;

namespace WaitingRoom.Operations;

/// <summary>
/// The audit trail: one line per change of a room's settings, state or capacity, in the logger
/// category <see cref="Category"/>, whoever made it: an operator through the admin API (the token's
/// id, never the token), the adaptive controller, or the origin (<c>WR-Command</c>). Every line has
/// the same shape: who, from where, what, on what, before → after.
/// </summary>
internal sealed partial class AuditLog(ILoggerFactory loggers)
{
    public const string Category = "WaitingRoom.Audit";

    /// <summary>Who changes an adaptive capacity when no operator does.</summary>
    public const string Controller = "controller";

    public const string Origin = "origin";

    private readonly ILogger _logger = loggers.CreateLogger(Category);

    /// <summary>One change: <paramref name="actor"/> from <paramref name="client"/> did <paramref name="action"/> on <paramref name="target"/>: before → after.</summary>
    public void Change(string actor, string client, string action, string target, string before, string after) =>
        LogChange(_logger, actor, client, action, target, before, after);

    /// <summary>
    /// A change of a room's adaptive capacity, as every writer of it states one: the effective capacity
    /// before → after, with the reason and <paramref name="detail"/> (the signal or command behind it).
    /// </summary>
    public void Capacity(string actor, string client, string room, CapacityState before, CapacityState after, string detail = "") =>
        Change(actor, client, "capacity", "room " + room, before.Effective.ToString(CultureInfo.InvariantCulture),
            string.Create(CultureInfo.InvariantCulture, $"{after.Effective} ({after.Reason}{detail})"));

    [LoggerMessage(EventId = EventIds.AdminChange, Level = LogLevel.Information, EventName = nameof(EventIds.AdminChange),
        Message = "Audit: {Actor} from {Client} did {Action} on {Target}: {Before} -> {After}")]
    private static partial void LogChange(ILogger logger, string actor, string client, string action, string target, string before, string after);
}
