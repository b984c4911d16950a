using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Operations;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using static WaitingRoom.Operations.AdminJson;

namespace WaitingRoom.Codes;

/// <summary>
/// The access codes' endpoints: the queue page's form (<c>POST /_wr/code</c>) and, behind the admin token,
/// <c>POST|GET /_wr/admin/rooms/{name}/codes</c> and <c>DELETE /_wr/admin/rooms/{name}/codes/{id}</c>.
/// </summary>
internal sealed partial class AccessCodeEndpoints(
    IWaitingRoomStore store,
    RoomTable rooms,
    AccessCodeRedeemer redeemer,
    VisitorResponses responses,
    TimeProvider time,
    IOptions<WaitingRoomOptions> options,
    AuditLog audit,
    AdminToken? token = null)
{
    public const string FormPath = "/_wr/code";

    /// <summary>Codes a room may hold at once (each may have many uses): bounds the store and the list.</summary>
    public const int MaxCodesPerRoom = 10_000;

    public const int MaxUses = 1_000_000;

    /// <summary>How far ahead a code may expire: an invite is for an event, not for ever.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(366);

    private const int MaxFormBytes = 4096;

    /// <summary>The form's endpoint, beside the room's other visitor endpoints.</summary>
    public static void MapVisitor(IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(FormPath, (HttpContext context, AccessCodeEndpoints codes) => codes.RedeemFormAsync(context))
            .WithMetadata(WaitingRoomEndpointMetadata.Instance);

    /// <summary>The admin endpoints, on the admin API's group (its token check, no-store and outage answer apply).</summary>
    public static void MapAdmin(IEndpointRouteBuilder api)
    {
        api.MapPost("/rooms/{name}/codes", (HttpContext context, string name, AccessCodeEndpoints codes) => codes.CreateAsync(context, name));
        api.MapGet("/rooms/{name}/codes", (HttpContext context, string name, AccessCodeEndpoints codes) => codes.ListAsync(context, name));
        api.MapDelete("/rooms/{name}/codes/{id}", (HttpContext context, string name, string id, AccessCodeEndpoints codes) => codes.RevokeAsync(context, name, id));
    }

    /// <summary>
    /// The queue page's form: <c>code</c>, <c>room</c> and <c>target</c> as a form post. CSRF-safe by design: POST only,
    /// a cross-site request is refused (Sec-Fetch-Site, else Origin), and the visitor cookie is SameSite=Lax, so a
    /// foreign page's post arrives without it and is refused too. A code that works: 303 back to the target.
    /// </summary>
    private async Task RedeemFormAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.HasFormContentType || request.ContentLength is null or > MaxFormBytes)
        {
            await Problem(context, StatusCodes.Status400BadRequest, "form-expected");
            return;
        }

        if (IsCrossSite(request) || !request.Cookies.ContainsKey(options.Value.CookieName))
        {
            await Problem(context, StatusCodes.Status403Forbidden, "cross-site-or-no-cookie");
            return;
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted);
        }
        catch (InvalidDataException)
        {
            // A malformed body is the client's mistake: a 400, never a 500.
            await Problem(context, StatusCodes.Status400BadRequest, "form-expected");
            return;
        }

        var room = form["room"].Count == 1 ? rooms.Find(form["room"][0]) : rooms.Default;
        if (room is null)
        {
            await Problem(context, StatusCodes.Status404NotFound, "unknown-room");
            return;
        }

        var target = RedirectTarget.For(form["target"].Count == 1 ? form["target"][0] ?? "" : "", options.Value.MainUrl);
        var feature = context.Features.Get<WaitingRoomRequestFeature>();
        (CodeRedemption? Outcome, int RetryAfterSeconds) result;
        try
        {
            result = await redeemer.RedeemAsync(context, room, form["code"].Count == 1 ? form["code"][0] : null);
        }
        catch (StoreUnavailableException)
        {
            await responses.WriteUnavailableAsync(context);
            return;
        }

        if (feature is not null)
        {
            feature.Room = room.Name;
            feature.Decision = "code-" + AccessCodeResponses.Describe(result.Outcome).Name;
        }

        if (AccessCodeResponses.Worked(result.Outcome))
        {
            await AccessCodeResponses.RedirectAsync(context, target);
            return;
        }

        await AccessCodeResponses.WriteFailureAsync(context, result.Outcome, result.RetryAfterSeconds, target, options.Value.QueueLanguage);
    }

    private static bool IsCrossSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0)
        {
            return site is not ("same-origin" or "none");
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }

    private async Task<IResult> CreateAsync(HttpContext context, string name)
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

        var now = time.GetUtcNow();
        var errors = new List<string>();
        foreach (var field in body.Select(p => p.Key).Where(k => k is not ("uses" or "expiresAt" or "lane")))
        {
            errors.Add($"'{field}' is not a field of a code: expected uses, expiresAt, lane");
        }

        int uses = 0;
        if (body["uses"] is not JsonValue usesValue || !usesValue.TryGetValue(out uses) || uses < 1 || uses > MaxUses)
        {
            errors.Add($"'uses' must be a whole number from 1 to {MaxUses}");
        }

        DateTimeOffset expiresAt = default;
        if (body["expiresAt"] is not JsonValue expiresValue || !expiresValue.TryGetValue<string>(out var expiresText)
            || !DateTimeOffset.TryParse(expiresText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out expiresAt)
            || expiresAt <= now || expiresAt > now + MaxLifetime)
        {
            errors.Add("'expiresAt' must be an ISO 8601 time in the future, within a year, such as \"" + VisitorResponses.Iso(now.AddDays(1)) + "\"");
        }

        var lane = CodeLane.Skip;
        if (body["lane"] is not JsonValue laneValue || !laneValue.TryGetValue<string>(out var laneText) || !TryParseLane(laneText, out lane))
        {
            errors.Add("'lane' must be \"skip\" or \"priority\"");
        }

        if (errors.Count > 0)
        {
            return Error(StatusCodes.Status400BadRequest, "invalid-code", errors);
        }

        var (id, code) = AccessCodeFormat.Create();
        var record = new AccessCode(id, AccessCodeFormat.Hash(room.Name, code), lane, uses, 0, expiresAt, now, Revoked: false);
        if (!await store.CreateCodeAsync(room.PolicyAt(now), record, MaxCodesPerRoom, context.RequestAborted))
        {
            return Error(StatusCodes.Status409Conflict, "too-many-codes", [$"a room holds at most {MaxCodesPerRoom} codes; revoked and expired ones go {AccessCode.Retention.TotalDays} days after they expire"]);
        }

        Audit(context, "code-create", $"room {room.Name} code {id}", "none", Describe(record));
        var json = CodeJson(record);
        json["code"] = code;
        json["link"] = LinkOf(context.Request, room, code);
        return Json(StatusCodes.Status201Created, json);
    }

    private async Task<IResult> ListAsync(HttpContext context, string name)
    {
        if (rooms.Find(name) is not { } room)
        {
            return Error(StatusCodes.Status404NotFound, "unknown-room");
        }

        var list = new JsonArray();
        foreach (var code in await store.ListCodesAsync(room.PolicyAt(time.GetUtcNow()), context.RequestAborted))
        {
            list.Add(CodeJson(code));
        }

        return Json(StatusCodes.Status200OK, list);
    }

    private async Task<IResult> RevokeAsync(HttpContext context, string name, string id)
    {
        if (rooms.Find(name) is not { } room)
        {
            return Error(StatusCodes.Status404NotFound, "unknown-room");
        }

        if (!AccessCodeFormat.IsId(id) || await store.RevokeCodeAsync(room.PolicyAt(time.GetUtcNow()), id, context.RequestAborted) is not { } revoked)
        {
            return Error(StatusCodes.Status404NotFound, "unknown-code");
        }

        Audit(context, "code-revoke", $"room {room.Name} code {id}", Describe(revoked with { Revoked = false }), Describe(revoked));
        return Json(StatusCodes.Status200OK, CodeJson(revoked));
    }

    private static bool TryParseLane(string text, out CodeLane lane)
    {
        lane = text switch { "skip" => CodeLane.Skip, "priority" => CodeLane.Priority, _ => (CodeLane)(-1) };
        return lane is CodeLane.Skip or CodeLane.Priority;
    }

    private static string LaneName(CodeLane lane) => lane == CodeLane.Skip ? "skip" : "priority";

    /// <summary>A code as the list shows it: never the code itself, which is not stored.</summary>
    private JsonObject CodeJson(AccessCode code) => new()
    {
        ["id"] = code.Id,
        ["lane"] = LaneName(code.Lane),
        ["uses"] = code.Uses,
        ["used"] = code.Used,
        ["expiresAt"] = VisitorResponses.Iso(code.ExpiresAt),
        ["revoked"] = code.Revoked,
        ["createdAt"] = VisitorResponses.Iso(code.CreatedAt),
        ["state"] = code.Revoked ? "revoked" : code.ExpiresAt <= time.GetUtcNow() ? "expired" : code.Used >= code.Uses ? "used-up" : "active",
    };

    private static string Describe(AccessCode code) =>
        $"{LaneName(code.Lane)}, {code.Used}/{code.Uses} used, expires {VisitorResponses.Iso(code.ExpiresAt)}{(code.Revoked ? ", revoked" : "")}";

    /// <summary>The room's URL with the code: its own host when it has one, else the host the administrator called.</summary>
    private static string LinkOf(HttpRequest request, RoomSettings room, string code)
    {
        var host = room.Host is "*" or "" || room.Host.Contains('*', StringComparison.Ordinal) ? request.Host.Value : room.Host;
        var path = string.IsNullOrEmpty(room.Path) ? "/" : room.Path;
        return $"{request.Scheme}://{host}{path}?{AccessCodeFormat.QueryName}={code}";
    }

    private static Task Problem(HttpContext context, int status, string error)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(new JsonObject { ["error"] = error }.ToJsonString(), context.RequestAborted);
    }
}
