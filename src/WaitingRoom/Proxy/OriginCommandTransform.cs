using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WaitingRoom.Admission;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using Yarp.ReverseProxy.Transforms;

namespace WaitingRoom.Proxy;

/// <summary>
/// Lets the origin end a visitor's session: a response carrying <c>WR-Command: release</c> frees
/// that visitor's slot at once (Cloudflare's revoke, Queue-it's cancel), so the next visitor in
/// line gets it on the next promotion round. The header is the room's, not the visitor's: it is
/// removed from every response, whatever its value.
/// </summary>
internal sealed partial class OriginCommandTransform : ResponseTransform
{
    /// <summary>The response header the origin answers with.</summary>
    public const string HeaderName = "WR-Command";

    private readonly IWaitingRoomStore _store;
    private readonly VisitorTokenSigner _signer;
    private readonly RoomTable _rooms;
    private readonly TimeProvider _time;
    private readonly Operations.WaitingRoomMetrics _metrics;
    private readonly ILogger<OriginCommandTransform> _logger;

    public OriginCommandTransform(IWaitingRoomStore store, VisitorTokenSigner signer, RoomTable rooms, TimeProvider time, Operations.WaitingRoomMetrics metrics, ILogger<OriginCommandTransform> logger)
    {
        _metrics = metrics;
        _store = store;
        _signer = signer;
        _rooms = rooms;
        _time = time;
        _logger = logger;
    }

    public override async ValueTask ApplyAsync(ResponseTransformContext context)
    {
        var response = context.HttpContext.Response;
        if (!response.Headers.TryGetValue(HeaderName, out var values))
        {
            return;
        }

        response.Headers.Remove(HeaderName);
        if (!IsRelease(values))
        {
            return;
        }

        try
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
                await _signer.EnsureReadyAsync(context.CancellationToken);
                if (!_signer.TryRead(context.HttpContext.Request, out visitor))
                {
                    return;
                }

                policy = _rooms.Match(context.HttpContext.Request).PolicyAt(_time.GetUtcNow());
            }

            var released = await _store.ReleaseAsync(policy, visitor, context.CancellationToken);
            var tag = VisitorTokenSigner.LogTag(visitor);
            Log.Released(_logger, policy.Name, tag, released);
            if (released)
            {
                _metrics.ReleasedByOrigin(policy.Name);
            }
        }
        catch (StoreUnavailableException ex)
        {
            // The visitor still gets the origin's answer; its slot frees when it goes idle.
            Log.ReleaseFailed(_logger, ex);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away; the slot frees when it goes idle.
        }
    }

    private static bool IsRelease(Microsoft.Extensions.Primitives.StringValues values)
    {
        foreach (var value in values)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries))
            {
                if (part.Equals("release", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.OriginReleased, Level = LogLevel.Information, EventName = nameof(EventIds.OriginReleased),
            Message = "The origin released a visitor of room {Room} (visitor={Visitor}, was active: {WasActive}).")]
        public static partial void Released(ILogger logger, string room, string visitor, bool wasActive);

        [LoggerMessage(EventId = EventIds.OriginReleaseFailed, Level = LogLevel.Warning, EventName = nameof(EventIds.OriginReleaseFailed),
            Message = "The origin released a visitor, but the store is unreachable; the slot frees when the visitor goes idle.")]
        public static partial void ReleaseFailed(ILogger logger, Exception exception);
    }
}
