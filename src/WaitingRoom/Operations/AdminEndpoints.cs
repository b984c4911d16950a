using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WaitingRoom.Admission;
using WaitingRoom.Proxy;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using WaitingRoom.Configuration;

namespace WaitingRoom.Operations;

/// <summary>
/// The admin API under /_wr/admin/ (only when WR_ADMIN_TOKEN is set): every room's live state and
/// settings for the whole cluster of instances, run-time settings (PATCH, drain, resume), queue
/// reset, releasing one visitor, and the backend destinations (add, remove, disable, enable). Every
/// call needs <c>Authorization: Bearer &lt;token&gt;</c>; a missing or wrong token gets the same
/// 401. Every change is written to the audit log: who (the token's id), what, before → after.
/// The dashboard's static files (/_wr/admin/) carry no data and need no token.
/// </summary>
internal static partial class AdminEndpoints
{
    public const string Prefix = "/_wr/admin";

    /// <summary>The largest request body the API reads (settings and addresses are small).</summary>
    private const int MaxBodyBytes = 64 * 1024;

    private static readonly string[] s_dashboardFiles = ["index.html", "admin.js", "admin.css"];

    public static void Map(IEndpointRouteBuilder endpoints, AdminToken token)
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

                return await next(context);
            });

        api.MapGet("/rooms", (Func<HttpContext, Task<IResult>>)GetRoomsAsync);
        api.MapPatch("/rooms/{name}", PatchRoomAsync);
        api.MapPost("/rooms/{name}/drain", (HttpContext context, string name) => SetDrainingAsync(context, name, draining: true));
        api.MapPost("/rooms/{name}/resume", (HttpContext context, string name) => SetDrainingAsync(context, name, draining: false));
        api.MapPost("/rooms/{name}/reset", ResetAsync);
        api.MapPost("/rooms/{name}/release", ReleaseAsync);
        api.MapGet("/rooms/{name}/history", History);
        api.MapGet("/backends", GetBackends);
        api.MapPost("/backends", (Func<HttpContext, Task<IResult>>)AddBackendAsync);
        api.MapDelete("/backends/{id}", (HttpContext context, string id) => ChangeBackendAsync(context, id, "remove"));
        api.MapPost("/backends/{id}/disable", (HttpContext context, string id) => ChangeBackendAsync(context, id, "disable"));
        api.MapPost("/backends/{id}/enable", (HttpContext context, string id) => ChangeBackendAsync(context, id, "enable"));
    }

    /// <summary>The dashboard: /_wr/admin redirects to /_wr/admin/, which serves wwwroot/admin/index.html; its script and style beside it.</summary>
    private static void MapDashboard(IEndpointRouteBuilder endpoints)
    {
        // Routing matches /_wr/admin and /_wr/admin/ alike: the page's relative links need the slash.
        endpoints.MapGet(Prefix + "/", (HttpContext context) => context.Request.Path.Value!.EndsWith('/')
                ? DashboardFile(context, "index.html")
                : Results.Redirect(Prefix + "/"))
            .WithMetadata(WaitingRoomEndpointMetadata.Instance);
        endpoints.MapGet(Prefix + "/{file}", (HttpContext context, string file) => DashboardFile(context, file)).WithMetadata(WaitingRoomEndpointMetadata.Instance);
    }

    private static IResult DashboardFile(HttpContext context, string file)
    {
        if (!s_dashboardFiles.Contains(file, StringComparer.Ordinal))
        {
            return Results.NotFound();
        }

        var environment = context.RequestServices.GetRequiredService<Microsoft.AspNetCore.Hosting.IWebHostEnvironment>();
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

    private static async Task<IResult> GetRoomsAsync(HttpContext context)
    {
        var rooms = context.RequestServices.GetRequiredService<RoomTable>();
        try
        {
            var list = new JsonArray();
            foreach (var room in rooms.All)
            {
                list.Add(await RoomJsonAsync(context, room));
            }

            return Json(StatusCodes.Status200OK, list);
        }
        catch (StoreUnavailableException)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "store-unavailable");
        }
    }

    private static async Task<IResult> PatchRoomAsync(HttpContext context, string name)
    {
        var (patch, problem) = await ReadObjectAsync(context);
        if (patch is null)
        {
            return problem!;
        }

        return await ChangeRoomAsync(context, name, "patch", patch);
    }

    private static Task<IResult> SetDrainingAsync(HttpContext context, string name, bool draining) =>
        ChangeRoomAsync(context, name, draining ? "drain" : "resume", new JsonObject { ["draining"] = draining ? true : null });

    private static async Task<IResult> ChangeRoomAsync(HttpContext context, string name, string action, JsonObject patch)
    {
        var services = context.RequestServices;
        var overrides = services.GetRequiredService<RoomOverrides>();
        var rooms = services.GetRequiredService<RoomTable>();
        try
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
            return Json(StatusCodes.Status200OK, await RoomJsonAsync(context, room));
        }
        catch (StoreUnavailableException)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "store-unavailable");
        }
    }

    private static async Task<IResult> ResetAsync(HttpContext context, string name)
    {
        var services = context.RequestServices;
        if (services.GetRequiredService<RoomTable>().Find(name) is not { } room)
        {
            return Error(StatusCodes.Status404NotFound, "unknown-room");
        }

        if (!string.Equals(context.Request.Query["confirm"], "true", StringComparison.OrdinalIgnoreCase))
        {
            return Error(StatusCodes.Status400BadRequest, "confirm-required", ["add ?confirm=true: every waiter of the room loses its place"]);
        }

        try
        {
            var policy = room.PolicyAt(services.GetRequiredService<TimeProvider>().GetUtcNow());
            var removed = await services.GetRequiredService<IWaitingRoomStore>().ResetQueueAsync(policy, context.RequestAborted);
            Audit(context, "reset", "room " + room.Name, $"queued {removed}", "queued 0");
            return Json(StatusCodes.Status200OK, new JsonObject { ["room"] = room.Name, ["removed"] = removed });
        }
        catch (StoreUnavailableException)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "store-unavailable");
        }
    }

    private static async Task<IResult> ReleaseAsync(HttpContext context, string name)
    {
        var services = context.RequestServices;
        if (services.GetRequiredService<RoomTable>().Find(name) is not { } room)
        {
            return Error(StatusCodes.Status404NotFound, "unknown-room");
        }

        var (body, problem) = await ReadObjectAsync(context);
        if (body is null)
        {
            return problem!;
        }

        var signer = services.GetRequiredService<VisitorTokenSigner>();
        try
        {
            await signer.EnsureReadyAsync(context.RequestAborted);
            var token = body["token"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
            if (!signer.TryRead(token, out var visitorId))
            {
                return Error(StatusCodes.Status400BadRequest, "invalid-token", ["'token' must be a visitor's wr_token cookie value, signed by this room"]);
            }

            var policy = room.PolicyAt(services.GetRequiredService<TimeProvider>().GetUtcNow());
            if (!await services.GetRequiredService<IWaitingRoomStore>().ReleaseAsync(policy, visitorId, context.RequestAborted))
            {
                return Error(StatusCodes.Status404NotFound, "not-active");
            }

            Audit(context, "release", "room " + room.Name, "visitor " + VisitorTokenSigner.LogTag(visitorId) + " active", "released");
            return Json(StatusCodes.Status200OK, new JsonObject { ["released"] = true });
        }
        catch (StoreUnavailableException)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "store-unavailable");
        }
    }

    private static IResult History(HttpContext context, string name)
    {
        var services = context.RequestServices;
        if (services.GetRequiredService<RoomTable>().Find(name) is not { } room)
        {
            return Error(StatusCodes.Status404NotFound, "unknown-room");
        }

        var points = new JsonArray();
        foreach (var point in services.GetRequiredService<RoomMonitor>().HistoryOf(room.Name))
        {
            points.Add(new JsonObject
            {
                ["time"] = VisitorResponses.Iso(point.Time),
                ["queued"] = point.Queued,
                ["active"] = point.Active,
                ["capacity"] = point.Capacity,
                ["admittedPerMinute"] = point.AdmittedPerMinute,
            });
        }

        return Json(StatusCodes.Status200OK, new JsonObject { ["room"] = room.Name, ["points"] = points });
    }

    private static IResult GetBackends(HttpContext context)
    {
        var services = context.RequestServices;
        var backends = services.GetRequiredService<BackendDestinations>();
        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WaitingRoomOptions>>().Value;
        var list = new JsonArray();
        foreach (var destination in backends.Current)
        {
            list.Add(DestinationJson(backends.ViewOf(destination)));
        }

        return Json(StatusCodes.Status200OK, new JsonObject
        {
            ["cluster"] = backends.HasCluster,
            ["loadBalancing"] = WaitingRoomOptionsReader.LoadBalancingName(options.LoadBalancingPolicy),
            ["sticky"] = options.Sticky,
            ["healthCheckPath"] = options.HealthCheckPath,
            ["destinations"] = list,
        });
    }

    private static async Task<IResult> AddBackendAsync(HttpContext context)
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

        var backends = context.RequestServices.GetRequiredService<BackendDestinations>();
        try
        {
            var change = await backends.AddAsync(address, context.RequestAborted);
            if (change.Error is not null)
            {
                return Refused(change.Error);
            }

            var added = change.After!.First(d => !change.Before!.Any(b => b.Id == d.Id));
            Audit(context, "backend-add", "backend " + added.Id, BackendDestinations.Describe(change.Before!), BackendDestinations.Describe(change.After!));
            return Json(StatusCodes.Status201Created, DestinationJson(backends.ViewOf(added)));
        }
        catch (StoreUnavailableException)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "store-unavailable");
        }
    }

    private static async Task<IResult> ChangeBackendAsync(HttpContext context, string id, string action)
    {
        var backends = context.RequestServices.GetRequiredService<BackendDestinations>();
        try
        {
            var change = action switch
            {
                "remove" => await backends.RemoveAsync(id, context.RequestAborted),
                _ => await backends.SetDisabledAsync(id, action == "disable", context.RequestAborted),
            };
            if (change.Error is not null)
            {
                return Refused(change.Error);
            }

            Audit(context, "backend-" + action, "backend " + id, BackendDestinations.Describe(change.Before!), BackendDestinations.Describe(change.After!));
            if (action == "remove")
            {
                return Results.NoContent();
            }

            return Json(StatusCodes.Status200OK, DestinationJson(backends.ViewOf(change.After!.First(d => d.Id == id))));
        }
        catch (StoreUnavailableException)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "store-unavailable");
        }
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
    private static async Task<JsonObject> RoomJsonAsync(HttpContext context, RoomSettings room)
    {
        var services = context.RequestServices;
        var phase = room.PhaseAt(services.GetRequiredService<TimeProvider>().GetUtcNow());
        var policy = room.PolicyOf(phase);
        var store = services.GetRequiredService<IWaitingRoomStore>();
        var counts = await store.GetCountsAsync(policy, context.RequestAborted);
        var capacity = policy.Adaptive ? await store.GetCapacityAsync(policy, context.RequestAborted) : null;
        var rate = services.GetRequiredService<PromotionRates>().For(room.Name).RatePerMinute();
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
            ["draining"] = room.Draining,
            ["title"] = room.Title,
            ["message"] = room.Message,
            ["event"] = EventJson(room.Event),
            ["adaptive"] = AdaptiveJson(room, policy, capacity, services.GetRequiredService<Adaptive.AdaptiveSignals>().Of(room.Name)),
            ["overrides"] = services.GetRequiredService<RoomOverrides>().OverridesOf(room.Name),
        };
    }

    /// <summary>
    /// The adaptive capacity: its settings, the state every instance admits against (capacity, hold,
    /// who pinned it, why and when it last changed) and this instance's last signal (p95, error share, baseline).
    /// </summary>
    private static JsonObject AdaptiveJson(RoomSettings room, RoomPolicy policy, CapacityState? state, Adaptive.AdaptiveSignal? signal)
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

    /// <summary>Reads a JSON object body of at most <see cref="MaxBodyBytes"/>; otherwise the 400/413/415 to answer.</summary>
    private static async Task<(JsonObject? Body, IResult? Problem)> ReadObjectAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, Error(StatusCodes.Status413PayloadTooLarge, "body-too-large"));
        }

        if (request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Error(StatusCodes.Status415UnsupportedMediaType, "json-expected", ["send Content-Type: application/json"]));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return (null, Error(StatusCodes.Status413PayloadTooLarge, "body-too-large"));
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return JsonNode.Parse(buffer.ToArray()) is JsonObject body
                ? (body, null)
                : (null, Error(StatusCodes.Status400BadRequest, "invalid-json", ["the body must be a JSON object"]));
        }
        catch (JsonException ex)
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid-json", [ex.Message]));
        }
    }

    /// <summary>Quotes and non-ASCII text as they are (the answer is application/json, never inlined in HTML).</summary>
    private static readonly JsonSerializerOptions s_output = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static IResult Json(int status, JsonNode body) =>
        Results.Text(body.ToJsonString(s_output), "application/json; charset=utf-8", statusCode: status);

    private static IResult Error(int status, string code, IEnumerable<string>? errors = null)
    {
        var body = new JsonObject { ["error"] = code };
        if (errors is not null)
        {
            body["errors"] = new JsonArray([.. errors.Select(e => (JsonNode?)JsonValue.Create(e))]);
        }

        return Json(status, body);
    }

    /// <summary>One audit line per change: who (the token's id and the client address), what, before → after.</summary>
    private static void Audit(HttpContext context, string action, string target, string before, string after)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("WaitingRoom.Audit");
        var actor = services.GetRequiredService<AdminToken>().Id;
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "-";
        Log.Change(logger, actor, client, action, target, before, after);
    }
}
