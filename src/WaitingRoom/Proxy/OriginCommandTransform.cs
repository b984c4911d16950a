using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using WaitingRoom.Adaptive;
using WaitingRoom.Admission;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using Yarp.ReverseProxy.Transforms;

namespace WaitingRoom.Proxy;

/// <summary>
/// Lets the origin steer the room by a response header: <c>WR-Command: release</c> frees that
/// visitor's slot at once (Cloudflare's revoke, Queue-it's cancel); <c>capacity=N</c> pins an adaptive
/// room's capacity for every instance until <c>capacity=auto</c>; <c>sold-out</c> switches the room to
/// reject mode, as the admin API would. The header is removed from every response, whatever its value.
/// </summary>
internal sealed partial class OriginCommandTransform(
    IWaitingRoomStore store,
    VisitorTokenSigner signer,
    RoomTable rooms,
    RoomOverrides overrides,
    TimeProvider time,
    Operations.WaitingRoomMetrics metrics,
    Operations.AuditLog audit,
    ILogger<OriginCommandTransform> logger,
    Analytics.AnalyticsRecorder? analytics = null)
    : ResponseTransform
{
    public const string HeaderName = "WR-Command";

    public override async ValueTask ApplyAsync(ResponseTransformContext context)
    {
        var response = context.HttpContext.Response;
        if (!response.Headers.TryGetValue(HeaderName, out var values))
        {
            return;
        }

        response.Headers.Remove(HeaderName);
        var command = OriginCommand.Parse(values);
        try
        {
            if (command.Release)
            {
                await ReleaseAsync(context);
            }

            if (command.Capacity is not null || command.Auto || command.SoldOut)
            {
                var decided = context.HttpContext.Features.Get<WaitingRoomRequestFeature>()?.Policy?.Name;
                await SteerAsync(rooms.Find(decided) ?? rooms.Match(context.HttpContext.Request), command, OriginOf(context.HttpContext), context.CancellationToken);
            }
        }
        catch (StoreUnavailableException ex)
        {
            // The visitor still gets the origin's answer; a released slot frees when the visitor goes idle.
            if (command.Release)
            {
                LogReleaseFailed(logger, ex);
            }
            else
            {
                LogCommandFailed(logger, ex);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away; the slot frees when it goes idle.
        }
    }

    private async Task ReleaseAsync(ResponseTransformContext context)
    {
        // An admitted request carries its visitor and room. A bypassed one (say /api, where a
        // checkout completes) was never decided: read its cookie now, in the room of its path.
        string? visitor;
        RoomPolicy policy;
        if (context.HttpContext.Features.Get<WaitingRoomRequestFeature>() is { VisitorId: { } decided, Policy: { } decidedIn })
        {
            (visitor, policy) = (decided, decidedIn);
        }
        else
        {
            await signer.EnsureReadyAsync(context.CancellationToken);
            if (!signer.TryRead(context.HttpContext.Request, out visitor))
            {
                return;
            }

            policy = rooms.Match(context.HttpContext.Request).PolicyAt(time.GetUtcNow());
        }

        var released = await store.ReleaseAsync(policy, visitor, context.CancellationToken);
        var tag = VisitorTokenSigner.LogTag(visitor);
        LogReleased(logger, policy.Name, tag, released);
        if (released)
        {
            metrics.ReleasedByOrigin(policy.Name);
            analytics?.ReleasedByOrigin(policy.Name, context.HttpContext.Features.Get<WaitingRoomRequestFeature>()?.Admission?.AdmittedAt ?? 0);
        }
    }

    /// <summary>
    /// capacity=N, capacity=auto and sold-out; each changes the shared state only when it is not so already,
    /// and only the instance whose write changed it writes the audit line (who "origin", from <paramref name="origin"/>).
    /// </summary>
    private async Task SteerAsync(RoomSettings room, OriginCommand command, string origin, CancellationToken cancellationToken)
    {
        var policy = room.PolicyAt(time.GetUtcNow());
        if ((command.Capacity is not null || command.Auto) && policy.Adaptive && !room.Draining)
        {
            var state = await store.GetCapacityAsync(policy, cancellationToken);
            // capacity=N pins (N wins over auto in the same header); auto takes the origin's pin away.
            var change = CapacityPin.ChangeFor(AdaptiveCapacityService.PinnedByOrigin, CapacityPin.OriginAuto, command.Capacity, policy, state);
            if (change is not null && await store.TrySetCapacityAsync(policy, change, cancellationToken) is { } stored)
            {
                metrics.CapacityChanged(room.Name, stored.Reason);
                var value = stored.PinnedBy is null ? "auto" : stored.Capacity.ToString(CultureInfo.InvariantCulture);
                LogCapacity(logger, room.Name, state.Effective, value);
                audit.Capacity(Operations.AuditLog.Origin, origin, room.Name, state, stored, "; WR-Command: capacity=" + value);
            }
        }

        if (command.SoldOut && room.QueueMode != QueueMode.Reject)
        {
            var outcome = await overrides.PatchAsync(room.Name, new System.Text.Json.Nodes.JsonObject { ["queueMode"] = "reject" }, cancellationToken);
            if (outcome.After is not null)
            {
                LogSoldOut(logger, room.Name, QueueModeNames.Of(room.QueueMode));

                // Another instance may have stored the same command a moment before: only the write that changed the mode is audited.
                if (outcome.Before?["queueMode"]?.GetValue<string>() != "reject")
                {
                    audit.Change(Operations.AuditLog.Origin, origin, "sold-out", "room " + room.Name, "queueMode " + QueueModeNames.Of(room.QueueMode), "queueMode reject (WR-Command: sold-out)");
                }
            }
        }
    }

    /// <summary>The destination that answered (its address), for the audit line; "-" when unknown.</summary>
    private static string OriginOf(HttpContext context) =>
        context.Features.Get<Yarp.ReverseProxy.Model.IReverseProxyFeature>()?.ProxiedDestination?.Model.Config.Address ?? "-";

    /// <summary>
    /// The commands of <c>WR-Command</c> headers (values comma-separated, names case-insensitive):
    /// <c>release</c>, <c>capacity=N</c> (a whole number from 1), <c>capacity=auto</c>, <c>sold-out</c>.
    /// Anything else is ignored: an origin's typo never breaks its response.
    /// </summary>
    private readonly record struct OriginCommand(bool Release, int? Capacity, bool Auto, bool SoldOut)
    {
        public static OriginCommand Parse(StringValues values)
        {
            var command = default(OriginCommand);
            foreach (var value in values)
            {
                foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (part.Equals("release", StringComparison.OrdinalIgnoreCase))
                    {
                        command = command with { Release = true };
                    }
                    else if (part.Equals("sold-out", StringComparison.OrdinalIgnoreCase))
                    {
                        command = command with { SoldOut = true };
                    }
                    else if (part.StartsWith("capacity=", StringComparison.OrdinalIgnoreCase))
                    {
                        var number = part["capacity=".Length..].Trim();
                        if (number.Equals("auto", StringComparison.OrdinalIgnoreCase))
                        {
                            command = command with { Auto = true, Capacity = null };
                        }
                        else if (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var capacity) && capacity >= 1)
                        {
                            command = command with { Capacity = capacity, Auto = false };
                        }
                    }
                }
            }

            return command;
        }
    }

    [LoggerMessage(EventId = EventIds.OriginReleased, Level = LogLevel.Information, EventName = nameof(EventIds.OriginReleased),
        Message = "The origin released a visitor of room {Room} (visitor={Visitor}, was active: {WasActive}).")]
    private static partial void LogReleased(ILogger logger, string room, string visitor, bool wasActive);

    [LoggerMessage(EventId = EventIds.OriginReleaseFailed, Level = LogLevel.Warning, EventName = nameof(EventIds.OriginReleaseFailed),
        Message = "The origin released a visitor, but the store is unreachable; the slot frees when the visitor goes idle.")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = EventIds.OriginCapacity, Level = LogLevel.Information, EventName = nameof(EventIds.OriginCapacity),
        Message = "The origin set the capacity of room {Room}: {Before} -> {After} (WR-Command: capacity).")]
    private static partial void LogCapacity(ILogger logger, string room, int before, string after);

    [LoggerMessage(EventId = EventIds.OriginSoldOut, Level = LogLevel.Warning, EventName = nameof(EventIds.OriginSoldOut),
        Message = "The origin declared room {Room} sold out: queue mode {Before} -> reject (WR-Command: sold-out); newcomers get the closed page.")]
    private static partial void LogSoldOut(ILogger logger, string room, string before);

    [LoggerMessage(EventId = EventIds.OriginCommandFailed, Level = LogLevel.Warning, EventName = nameof(EventIds.OriginCommandFailed),
        Message = "The origin sent a WR-Command, but the store is unreachable; the command is not applied.")]
    private static partial void LogCommandFailed(ILogger logger, Exception exception);
}
