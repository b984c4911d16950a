using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Proxy;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using static WaitingRoom.Operations.AdminJson;

namespace WaitingRoom.Operations;

/// <summary>
/// The admin API under /_wr/admin/ (WR_ADMIN_TOKEN set): rooms' live state and run-time settings
/// (PATCH, drain, resume, reset, release a visitor) and the backend destinations. Every call needs
/// <c>Authorization: Bearer &lt;token&gt;</c> (one 401 for every failure); every change is audited:
/// who, what, before → after. The dashboard's static files carry no data and need no token.
/// </summary>
internal sealed partial class AdminEndpoints(
    AdminToken token,
    RoomTable rooms,
    RoomOverrides overrides,
    IWaitingRoomStore store,
    VisitorTokenSigner signer,
    BackendDestinations backends,
    PromotionRates rates,
    Adaptive.AdaptiveSignals signals,
    TimeProvider time,
    IWebHostEnvironment environment,
    IOptions<WaitingRoomOptions> options,
    AuditLog audit,
    WaitingRoomMetrics metrics)
{
    public const string Prefix = "/_wr/admin";

    /// <summary>The largest request body the API reads (settings and addresses are small).</summary>
    private const int MaxBodyBytes = 64 * 1024;

    private static readonly string[] s_dashboardFiles = ["index.html", "admin.js", "admin.css", "codes.js", "analytics.js"];

    public void Map(IEndpointRouteBuilder endpoints)
    {
        MapDashboard(endpoints);

        var api = endpoints.MapGroup(Prefix)
            .WithMetadata(WaitingRoomEndpointMetadata.Instance)
            .AddEndpointFilter(async (context, next) =>
            {
                var response = context.HttpContext.Response;
                response.Headers.CacheControl = "no-store";
                if (!token.Verify(context.HttpContext.Request))
                {
                    // One answer for every failure: no hint whether the header, scheme or token was wrong.
                    response.Headers.WWWAuthenticate = "Bearer realm=\"waitingroom-admin\"";
                    return Error(StatusCodes.Status401Unauthorized, "unauthorized");
                }

                try
                {
                    return await next(context);
                }
                catch (StoreUnavailableException)
                {
                    return Error(StatusCodes.Status503ServiceUnavailable, "store-unavailable");
                }
            });

        api.MapGet("/rooms", (Func<HttpContext, Task<IResult>>)GetRoomsAsync);
        api.MapPatch("/rooms/{name}", PatchRoomAsync);
        api.MapPost("/rooms/{name}/drain", (HttpContext context, string name) => SetDrainingAsync(context, name, draining: true));
        api.MapPost("/rooms/{name}/resume", (HttpContext context, string name) => SetDrainingAsync(context, name, draining: false));
        api.MapPost("/rooms/{name}/reset", ResetAsync);
        api.MapPost("/rooms/{name}/release", ReleaseAsync);
        api.MapGet("/preview", PreviewEndpoint.RenderAsync);
        Codes.AccessCodeEndpoints.MapAdmin(api);
        WaitingRoom.Analytics.AnalyticsEndpoints.Map(api);
        api.MapGet("/backends", GetBackends);
        api.MapPost("/backends", (Func<HttpContext, Task<IResult>>)AddBackendAsync);
        api.MapDelete("/backends/{id}", (HttpContext context, string id) => ChangeBackendAsync(context, id, "remove"));
        api.MapPost("/backends/{id}/disable", (HttpContext context, string id) => ChangeBackendAsync(context, id, "disable"));
        api.MapPost("/backends/{id}/enable", (HttpContext context, string id) => ChangeBackendAsync(context, id, "enable"));
    }

    /// <summary>The dashboard: /_wr/admin redirects to /_wr/admin/, which serves wwwroot/admin/index.html; its script and style beside it.</summary>
    private void MapDashboard(IEndpointRouteBuilder endpoints)
    {
        // Routing matches /_wr/admin and /_wr/admin/ alike: the page's relative links need the slash.
        endpoints.MapGet(Prefix + "/", (HttpContext context) => context.Request.Path.Value!.EndsWith('/')
                ? DashboardFile(context, "index.html")
                : Results.Redirect(Prefix + "/"))
            .WithMetadata(WaitingRoomEndpointMetadata.Instance);
        endpoints.MapGet(Prefix + "/{file}", (HttpContext context, string file) => DashboardFile(context, file)).WithMetadata(WaitingRoomEndpointMetadata.Instance);
    }

    private IResult DashboardFile(HttpContext context, string file)
    {
        if (!s_dashboardFiles.Contains(file, StringComparer.Ordinal))
        {
            return Results.NotFound();
        }

        var path = Path.Combine(VisitorPages.WebRootOf(environment), "admin", file);
        if (!File.Exists(path))
        {
            return Results.NotFound();
        }

        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        headers["Referrer-Policy"] = "no-referrer";
        var type = Path.GetExtension(file) switch
        {
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            _ => "text/html; charset=utf-8",
        };
        return Results.File(path, type);
    }

    private async Task<IResult> GetRoomsAsync(HttpContext context)
    {
        var list = new JsonArray();
        foreach (var room in rooms.All)
        {
            list.Add(await RoomJsonAsync(room, context.RequestAborted));
        }

        return Json(StatusCodes.Status200OK, list);
    }

    private async Task<IResult> PatchRoomAsync(HttpContext context, string name)
    {
        var (patch, problem) = await ReadObjectAsync(context);
        if (patch?["webhookUrl"] is JsonValue && options.Value.WebhookSecret is null)
        {
            // Every webhook is signed; without the secret there is nothing to sign with.
            return Error(StatusCodes.Status400BadRequest, "invalid-settings", ["'webhookUrl' needs WR_WEBHOOK_SECRET, which is not set: every webhook is signed (WR-Signature)"]);
        }

        return patch is null ? problem! : await ChangeRoomAsync(context, name, "patch", patch);
    }

    private Task<IResult> SetDrainingAsync(HttpContext context, string name, bool draining) =>
        ChangeRoomAsync(context, name, draining ? "drain" : "resume", new JsonObject { ["draining"] = draining ? true : null });

    private async Task<IResult> ChangeRoomAsync(HttpContext context, string name, string action, JsonObject patch)
    {
        var outcome = await overrides.PatchAsync(name, patch, context.RequestAborted);
        if (ReferenceEquals(outcome, RoomOverrides.PatchOutcome.UnknownRoom))
        {
            return Error(StatusCodes.Status404NotFound, "unknown-room");
        }

        if (outcome.After is null)
        {
            return Error(StatusCodes.Status400BadRequest, "invalid-settings", outcome.Errors);
        }

        var room = rooms.Find(name)!;
        Audit(context, action, "room " + room.Name, outcome.Before!.ToJsonString(), outcome.After.ToJsonString());
        if (patch.ContainsKey("adaptive"))
        {
            await ApplyPinAsync(context, room);
        }

        return Json(StatusCodes.Status200OK, await RoomJsonAsync(room, context.RequestAborted));
    }

    /// <summary>
    /// A pin set or taken away (<c>adaptive.pinned</c>) is applied to the stored capacity at once, by
    /// this instance, so its audit line names the operator's token (the controllers of every instance
    /// apply it too, from their settings, when this one has not); nothing when it is in force already.
    /// </summary>
    private async Task ApplyPinAsync(HttpContext context, RoomSettings room)
    {
        var policy = room.PolicyAt(time.GetUtcNow());
        if (!policy.Adaptive || room.Draining)
        {
            return;
        }

        var state = await store.GetCapacityAsync(policy, context.RequestAborted);
        if (Adaptive.CapacityPin.OperatorChangeFor(room.Adaptive.Pinned, policy, state) is { } change &&
            await store.TrySetCapacityAsync(policy, change, context.RequestAborted) is { } stored)
        {
            metrics.CapacityChanged(room.Name, stored.Reason);
            audit.Capacity(token.Id, ClientOf(context), room.Name, state, stored);
        }
    }

    private async Task<IResult> ResetAsync(HttpContext context, string name)
    {
        if (rooms.Find(name) is not { } room)
        {
            return Error(StatusCodes.Status404NotFound, "unknown-room");
        }

        if (!string.Equals(context.Request.Query["confirm"], "true", StringComparison.OrdinalIgnoreCase))
        {
            return Error(StatusCodes.Status400BadRequest, "confirm-required", ["add ?confirm=true: every waiter of the room loses its place"]);
        }

        var removed = await store.ResetQueueAsync(room.PolicyAt(time.GetUtcNow()), context.RequestAborted);
        Audit(context, "reset", "room " + room.Name, $"queued {removed}", "queued 0");
        return Json(StatusCodes.Status200OK, new JsonObject { ["room"] = room.Name, ["removed"] = removed });
    }

    private async Task<IResult> ReleaseAsync(HttpContext context, string name)
    {
        if (rooms.Find(name) is not { } room)
        {
            return Error(StatusCodes.Status404NotFound, "unknown-room");
        }

        var (body, problem) = await ReadObjectAsync(context);
        if (body is null)
        {
            return problem!;
        }

        await signer.EnsureReadyAsync(context.RequestAborted);
        var token = body["token"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        if (!signer.TryRead(token, out var visitorId))
        {
            return Error(StatusCodes.Status400BadRequest, "invalid-token", ["'token' must be a visitor's wr_token cookie value, signed by this room"]);
        }

        if (!await store.ReleaseAsync(room.PolicyAt(time.GetUtcNow()), visitorId, context.RequestAborted))
        {
            return Error(StatusCodes.Status404NotFound, "not-active");
        }

        Audit(context, "release", "room " + room.Name, "visitor " + VisitorTokenSigner.LogTag(visitorId) + " active", "released");
        return Json(StatusCodes.Status200OK, new JsonObject { ["released"] = true });
    }

    private IResult GetBackends()
    {
        var list = new JsonArray();
        foreach (var destination in backends.Current)
        {
            list.Add(DestinationJson(backends.ViewOf(destination)));
        }

        return Json(StatusCodes.Status200OK, new JsonObject
        {
            ["cluster"] = backends.HasCluster,
            ["loadBalancing"] = WaitingRoomOptionsReader.LoadBalancingName(options.Value.LoadBalancingPolicy),
            ["sticky"] = options.Value.Sticky,
            ["healthCheckPath"] = options.Value.HealthCheckPath,
            ["destinations"] = list,
        });
    }

    private async Task<IResult> AddBackendAsync(HttpContext context)
    {
        var (body, problem) = await ReadObjectAsync(context);
        if (body is null)
        {
            return problem!;
        }

        var text = body["address"] is JsonValue value && value.TryGetValue<string>(out var s) ? s.Trim() : null;
        if (text is null || !ProxyConfiguration.IsBackendUrl(text, out var address))
        {
            return Error(StatusCodes.Status400BadRequest, "invalid-address", ["'address' must be an absolute http(s) URL without query or credentials, such as \"http://10.0.0.5:8080\""]);
        }

        var change = await backends.AddAsync(address, context.RequestAborted);
        if (change.Error is not null)
        {
            return Refused(change.Error);
        }

        var added = change.After!.First(d => !change.Before!.Any(b => b.Id == d.Id));
        Audit(context, "backend-add", "backend " + added.Id, BackendDestinations.Describe(change.Before!), BackendDestinations.Describe(change.After!));
        return Json(StatusCodes.Status201Created, DestinationJson(backends.ViewOf(added)));
    }

    private async Task<IResult> ChangeBackendAsync(HttpContext context, string id, string action)
    {
        var change = action == "remove"
            ? await backends.RemoveAsync(id, context.RequestAborted)
            : await backends.SetDisabledAsync(id, action == "disable", context.RequestAborted);
        if (change.Error is not null)
        {
            return Refused(change.Error);
        }

        Audit(context, "backend-" + action, "backend " + id, BackendDestinations.Describe(change.Before!), BackendDestinations.Describe(change.After!));
        return action == "remove"
            ? Results.NoContent()
            : Json(StatusCodes.Status200OK, DestinationJson(backends.ViewOf(change.After!.First(d => d.Id == id))));
    }

    /// <summary>The answer to a backend change the list refused: unknown id 404, duplicate or no cluster 409, changed too often meanwhile 503.</summary>
    private static IResult Refused(string error) => Error(
        error switch
        {
            "unknown-backend" => StatusCodes.Status404NotFound,
            "duplicate-address" or "no-backend-cluster" => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status503ServiceUnavailable,
        },
        error);

    /// <summary>A room's settings in force, its phase and its live numbers (from the store: the whole cluster).</summary>
    private async Task<JsonObject> RoomJsonAsync(RoomSettings room, CancellationToken cancellationToken)
    {
        var phase = room.PhaseAt(time.GetUtcNow());
        var policy = room.PolicyOf(phase);
        var counts = await store.GetCountsAsync(policy, cancellationToken);
        var capacity = policy.Adaptive ? await store.GetCapacityAsync(policy, cancellationToken) : null;
        var changes = policy.Adaptive ? await store.GetCapacityChangesAsync(policy, cancellationToken) : [];
        var rate = rates.For(room.Name).RatePerMinute();
        return new JsonObject
        {
            ["name"] = room.Name,
            ["host"] = room.Host,
            ["path"] = room.Path,
            ["phase"] = VisitorResponses.PhaseName(phase),
            ["maxActive"] = room.MaxActive,
            ["capacity"] = capacity is null ? policy.MaxActive : Math.Min(policy.MaxActive, capacity.Effective),
            ["active"] = counts.Active,
            ["released"] = counts.Released,
            ["queued"] = counts.Queued,
            ["admittedTotal"] = counts.AdmittedTotal,
            ["promotedTotal"] = counts.PromotedTotal,
            ["promotionRatePerMinute"] = Math.Round(rate, 1),
            ["queueMode"] = QueueModeNames.Of(room.QueueMode),
            ["newUsersPerMinute"] = room.NewUsersPerMinute,
            ["activeTtl"] = room.ActiveTtl.TotalSeconds,
            ["queueTtl"] = room.QueueTtl.TotalSeconds,
            ["admissionWindow"] = room.AdmissionWindow.TotalSeconds,
            ["sessionMax"] = room.SessionMax.TotalSeconds,
            ["maxNewPerIpPerMinute"] = room.MaxNewPerIpPerMinute,
            ["maxQueue"] = room.MaxQueue,
            ["webhookUrl"] = room.WebhookUrl?.OriginalString,
            ["draining"] = room.Draining,
            ["title"] = room.Title,
            ["message"] = room.Message,
            ["event"] = EventJson(room.Event),
            ["adaptive"] = AdaptiveJson(room, policy, capacity, signals.Of(room.Name), changes),
            ["overrides"] = overrides.OverridesOf(room.Name),
        };
    }

    /// <summary>
    /// The adaptive capacity: its settings, the shared state every instance admits against, this
    /// instance's last signal, and the room's recent changes (from the store: the same on every instance).
    /// </summary>
    private static JsonObject AdaptiveJson(RoomSettings room, RoomPolicy policy, CapacityState? state, Adaptive.AdaptiveSignal? signal, IReadOnlyList<CapacityChangeRecord> changes)
    {
        var adaptive = room.Adaptive;
        return new JsonObject
        {
            ["on"] = adaptive.On,
            ["min"] = adaptive.On ? policy.MinActive : adaptive.MinActive,
            ["max"] = policy.MaxActive,
            ["targetP95"] = adaptive.TargetP95.TotalSeconds,
            ["maxErrors"] = adaptive.MaxErrors,
            ["p95"] = signal is null ? null : Math.Round(signal.P95.TotalSeconds, 4),
            ["errorShare"] = signal is null ? null : Math.Round(signal.ErrorShare, 4),
            ["baselineP95"] = signal?.Baseline is { } baseline ? Math.Round(baseline.TotalSeconds, 4) : null,
            ["pinned"] = state?.PinnedBy is not null ? state.Capacity : adaptive.Pinned,
            ["pinnedBy"] = state?.PinnedBy,
            ["hold"] = state?.Hold ?? false,
            ["reason"] = state?.Reason,
            ["changedAt"] = state?.ChangedAt is { } at ? VisitorResponses.Iso(at) : null,
            ["changes"] = new JsonArray([.. changes.Select(c => (JsonNode)new JsonObject
            {
                ["at"] = VisitorResponses.Iso(c.At),
                ["from"] = c.From,
                ["to"] = c.To,
                ["reason"] = c.Reason,
                ["by"] = c.By,
                ["p95"] = c.P95,
                ["errorShare"] = c.ErrorShare,
            })]),
        };
    }

    private static JsonObject? EventJson(RoomEvent? e) => e is null ? null : new JsonObject
    {
        ["start"] = VisitorResponses.Iso(e.Start),
        ["end"] = VisitorResponses.Iso(e.End),
        ["prequeueStart"] = e.PrequeueStart is { } prequeue ? VisitorResponses.Iso(prequeue) : null,
        ["shuffleAtStart"] = e.ShuffleAtStart,
        ["maxActive"] = e.MaxActive,
        ["newUsersPerMinute"] = e.NewUsersPerMinute,
        ["queueMode"] = e.QueueMode is { } mode ? QueueModeNames.Of(mode) : null,
        ["sessionMax"] = e.SessionMax?.TotalSeconds,
        ["title"] = e.Title,
        ["message"] = e.Message,
    };

    private static JsonObject DestinationJson(BackendDestinations.DestinationView view) => new()
    {
        ["id"] = view.Destination.Id,
        ["address"] = view.Destination.Address,
        ["disabled"] = view.Destination.Disabled,
        ["health"] = HealthName(view.Health),
        ["activeHealth"] = HealthName(view.Active),
        ["passiveHealth"] = HealthName(view.Passive),
        ["requests"] = view.Requests,
        ["failures"] = view.Failures,
        ["concurrentRequests"] = view.ConcurrentRequests,
    };

    private static string HealthName(Yarp.ReverseProxy.Model.DestinationHealth health) => health switch
    {
        Yarp.ReverseProxy.Model.DestinationHealth.Healthy => "healthy",
        Yarp.ReverseProxy.Model.DestinationHealth.Unhealthy => "unhealthy",
        _ => "unknown",
    };

    private static Task<(JsonObject? Body, IResult? Problem)> ReadObjectAsync(HttpContext context) =>
        AdminJson.ReadObjectAsync(context, MaxBodyBytes, "the body must be a JSON object");

    /// <summary>One audit line per change: who (the token's id and the client address), what, before → after.</summary>
    private void Audit(HttpContext context, string action, string target, string before, string after) =>
        audit.Change(token.Id, ClientOf(context), action, target, before, after);

    private static string ClientOf(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "-";
}
