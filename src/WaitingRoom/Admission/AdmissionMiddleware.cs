using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;
using WaitingRoom.Operations;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Admission;

/// <summary>
/// The front door: finds the request's room, reads or issues the visitor cookie, asks the store
/// for ONE atomic decision under the room's policy of this instant, forwards admitted requests
/// and answers everyone else (queue page, closed page, 429). The room's own /_wr/ endpoints and
/// bypassed requests take the synchronous fast path and never touch the store.
/// </summary>
internal sealed partial class AdmissionMiddleware(
    RequestDelegate next,
    IWaitingRoomStore store,
    VisitorTokenSigner signer,
    VisitorResponses responses,
    RoomTable rooms,
    TimeProvider time,
    IOptions<WaitingRoomOptions> options,
    WaitingRoomMetrics metrics,
    Access.AccessRules access,
    ILogger<AdmissionMiddleware> logger,
    Analytics.AnalyticsRecorder analytics,
    QueuePlaces places,
    ProofOfWork.ProofOfWorkGate? proofOfWork = null,
    StoreAvailability? availability = null)
{
    private const string OwnPathPrefix = "/_wr";

    private readonly FailureMode _failureMode = options.Value.FailureMode;
    private readonly string[] _bypassPaths = [.. options.Value.BypassPaths];
    private readonly string? _bypassHeaderName = options.Value.BypassHeaderName;
    private readonly byte[]? _bypassHeaderValue = options.Value.BypassHeaderValue is { } value ? System.Text.Encoding.UTF8.GetBytes(value) : null;
    private int _storeDown;

    public Task InvokeAsync(HttpContext context)
    {
        var feature = new WaitingRoomRequestFeature();
        context.Features.Set(feature);
        var path = context.Request.Path;

        if (path.StartsWithSegments(OwnPathPrefix, StringComparison.OrdinalIgnoreCase))
        {
            // The room's own endpoints (status, dashboard, admin, health) are nothing to index.
            context.Response.Headers[VisitorResponses.RobotsHeader] = VisitorResponses.NoIndex;
            feature.Decision = "endpoint";
            if (context.GetEndpoint()?.Metadata.GetMetadata<WaitingRoomEndpointMetadata>() is null)
            {
                // /_wr/ belongs to the room: an unknown path there is not the backend's to answer.
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        }

        if (HttpMethods.IsConnect(context.Request.Method) && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpExtendedConnectFeature>() is not { IsExtendedConnect: true })
        {
            // A tunnel request: the room is a reverse proxy, not a forward one, and nothing could forward it.
            feature.Decision = "method-not-allowed";
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return Task.CompletedTask;
        }

        var room = rooms.Match(context.Request);
        feature.Room = room.Name;

        // The address lists and crawler rules, by the client address WR_TRUSTED_PROXIES yields:
        // a denied network gets nothing, not even a bypass path; an allowed one is a bypass.
        var address = context.Connection.RemoteIpAddress;
        if (access.IsDenied(address, room))
        {
            feature.Decision = "denied";
            return VisitorResponses.WriteDeniedAsync(context);
        }

        if (IsBypassed(context.Request, room))
        {
            feature.Decision = "bypass";
            return next(context);
        }

        if (access.IsAllowed(address, room))
        {
            feature.Decision = "allowed";
            return next(context);
        }

        switch (access.Crawler(context.Request, address, room))
        {
            case Access.CrawlerVerdict.Bypass:
                feature.Decision = "crawler-bypass";
                return next(context);
            case Access.CrawlerVerdict.Forward:
                feature.Decision = "crawler";
                return next(context);
            case Access.CrawlerVerdict.Deferred:
                feature.Decision = "crawler-deferred";
                return responses.WriteCrawlerDeferredAsync(context);
        }

        return AdmitAsync(context, feature, room);
    }

    /// <summary>
    /// Decides, then answers. The decision is a ValueTask and the answer returns the next step's
    /// task itself: an admitted visitor decided without waiting (the instance's memory of the room's
    /// active visitors) goes on with no async frame of the room's at all.
    /// </summary>
    private Task AdmitAsync(HttpContext context, WaitingRoomRequestFeature feature, RoomSettings room)
    {
        var deciding = DecideAsync(context, feature, room);
        return deciding.IsCompletedSuccessfully ? Answer(context, feature, room, deciding.Result) : AnswerAsync(context, feature, room, deciding);
    }

    private async Task AnswerAsync(HttpContext context, WaitingRoomRequestFeature feature, RoomSettings room, ValueTask<Decision> deciding) =>
        await Answer(context, feature, room, await deciding);

    /// <summary>The visitor's cookie and the store's (or the instance's) answer; the store's outage and a client gone are answers too.</summary>
    private async ValueTask<Decision> DecideAsync(HttpContext context, WaitingRoomRequestFeature feature, RoomSettings room)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var phase = room.PhaseAt(time.GetUtcNow());
        var policy = room.PolicyOf(phase);
        var aborted = context.RequestAborted;
        AdmissionResult result;
        ProofOfWork.ProofOfWorkChallenge? challenge = null;
        QueuePlaces.Place? place = null;
        var byInstance = false;
        try
        {
            await signer.EnsureReadyAsync(aborted);
            if (!signer.TryRead(context.Request, out var visitorId))
            {
                // No cookie, or one that does not check out: a new visitor, never an error.
                visitorId = signer.IssueCookie(context);
            }

            feature.Visitor = VisitorTokenSigner.LogTag(visitorId);
            feature.VisitorId = visitorId;
            feature.Policy = policy;
            // A waiter far from the head reloading the queue page (or its no-JavaScript refresh): the instance answers.
            place = places.Read(context.Request, visitorId, room.Name);
            if (places.TryAnswer(policy, place, out result))
            {
                byInstance = true;
            }
            else if (availability?.FailingFast() is { } down)
            {
                // Redis is failing fast: the outage's answer at once, with no call that could only throw.
                return new Decision(phase, null, null, null, false, down);
            }
            else if (proofOfWork is not null && proofOfWork.DifficultyFor(room, policy) is > 0 and var difficulty
                && !proofOfWork.HasProof(context.Request, room.Name, visitorId, difficulty))
            {
                // WR_POW: without a valid solution only a visitor the room already holds gets on; a
                // newcomer takes nothing and gets a fresh challenge (in the same one step of the store).
                result = await store.AdmitKnownAsync(policy, visitorId, aborted);
                challenge = result.State == VisitorState.Unknown ? proofOfWork.Issue(room.Name, visitorId, difficulty) : null;
            }
            else
            {
                result = await store.AdmitAsync(policy, visitorId, ClientAddress.KeyOf(context.Connection.RemoteIpAddress), aborted);
            }

            proofOfWork?.Observe(room.Name, result, policy);
            StoreRecovered();
        }
        catch (StoreUnavailableException ex)
        {
            return new Decision(phase, null, null, null, false, ex);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away while we decided: nothing to answer, and not a server error.
            return new Decision(phase, null, null, null, false, null);
        }

        feature.Decision = challenge is not null ? "challenge" : result.State switch
        {
            VisitorState.Active => policy.Mode == QueueMode.Passthrough ? "passthrough" : "active",
            VisitorState.Rejected => "rejected",
            VisitorState.Full => "full",
            VisitorState.Limited => "limited",
            _ => "queued",
        };
        metrics.Decided(room.Name, feature.Decision, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, result.Admitted);
        analytics.Decided(room.Name, result);
        return new Decision(phase, result, challenge, place, byInstance, null);
    }

    private Task Answer(HttpContext context, WaitingRoomRequestFeature feature, RoomSettings room, Decision decision)
    {
        if (decision.Unavailable is { } unavailable)
        {
            return StoreUnavailableAsync(context, feature, unavailable);
        }

        if (decision.Result is not { } result)
        {
            feature.Decision = "client-gone";
            return Task.CompletedTask;
        }

        var phase = decision.Phase;
        if (decision.Challenge is { } issued)
        {
            return responses.WriteChallengeAsync(context, issued, room, phase);
        }

        switch (result.State)
        {
            case VisitorState.Active:
                if (decision.Place is { } place)
                {
                    places.Remember(context, feature.VisitorId!, room.Name, place, result, decision.ByInstance);
                }

                feature.Admission = result;
                return next(context);
            case VisitorState.Rejected:
                return responses.WriteRejectedAsync(context, result, room, phase);
            case VisitorState.Full:
                return responses.WriteFullAsync(context, result, room, phase);
            case VisitorState.Limited:
                return VisitorResponses.WriteLimitedAsync(context, result);
            default:
                places.Remember(context, feature.VisitorId!, room.Name, decision.Place, result, decision.ByInstance);
                return responses.WriteQueuedAsync(context, result, room, phase);
        }
    }

    /// <summary>
    /// What <see cref="DecideAsync"/> found: the store's answer (null with <paramref name="Unavailable"/>
    /// when the store did not answer, or with neither when the client went away), and what the answer needs.
    /// </summary>
    private readonly record struct Decision(RoomPhase Phase, AdmissionResult? Result, ProofOfWork.ProofOfWorkChallenge? Challenge, QueuePlaces.Place? Place, bool ByInstance, StoreUnavailableException? Unavailable);

    private async Task StoreUnavailableAsync(HttpContext context, WaitingRoomRequestFeature feature, StoreUnavailableException ex)
    {
        if (Interlocked.Exchange(ref _storeDown, 1) == 0)
        {
            LogStoreUnavailable(logger, _failureMode == FailureMode.Open ? "forwarding unchecked (WR_FAILURE_MODE=open)" : "answering 503 (WR_FAILURE_MODE=closed)", ex);
        }

        if (_failureMode == FailureMode.Open)
        {
            feature.Decision = "store-down-open";
            await next(context);
            return;
        }

        feature.Decision = "store-down-closed";
        await responses.WriteUnavailableAsync(context);
    }

    private void StoreRecovered()
    {
        if (Volatile.Read(ref _storeDown) == 1 && Interlocked.Exchange(ref _storeDown, 0) == 1)
        {
            LogStoreRecovered(logger);
        }
    }

    private bool IsBypassed(HttpRequest request, RoomSettings room)
    {
        if ((_bypassPaths.Length > 0 || room.BypassPaths.Count > 0) && !HasAmbiguousSeparator(request.Path.Value))
        {
            // Case-insensitive and with repeated slashes collapsed, like room matching: a bypass
            // rule on /static covers /Static and //static, and a room rule cannot be dodged the other way.
            var path = RoomTable.NormalizePath(request.Path.Value);
            if (StartsWithAny(path, _bypassPaths) || StartsWithAny(path, room.BypassPaths))
            {
                return true;
            }
        }

        if (_bypassHeaderName is not null && request.Headers.TryGetValue(_bypassHeaderName, out var values) && values.Count == 1)
        {
            var sent = System.Text.Encoding.UTF8.GetBytes(values[0] ?? "");
            return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(sent, _bypassHeaderValue);
        }

        return false;
    }

    /// <summary>
    /// An encoded slash (Kestrel keeps <c>%2F</c> as written) or a backslash, which some backends turn
    /// into separators (<c>/static%2F..%2Fprivate</c> is <c>/private</c> to them): such a path never bypasses.
    /// </summary>
    private static bool HasAmbiguousSeparator(string? path) =>
        path is not null && (path.Contains('\\', StringComparison.Ordinal) || path.Contains("%2F", StringComparison.OrdinalIgnoreCase));

    private static bool StartsWithAny(string path, IReadOnlyList<string> prefixes)
    {
        for (var i = 0; i < prefixes.Count; i++)
        {
            if (path.StartsWith(prefixes[i], StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
