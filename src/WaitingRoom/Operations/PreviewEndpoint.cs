using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using WaitingRoom.Admission;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Operations;

/// <summary>
/// <c>GET /_wr/admin/preview?room=&amp;state=&amp;position=&amp;length=&amp;lang=</c>: a room's page exactly as
/// a waiter would get it (the same writers, template, language and status code), for an operator
/// checking a custom page or a translation before the sale. It reads nothing from the store and
/// writes nothing: no cookie, no place, no counter. The page's script is blocked (Content-Security-Policy),
/// so a preview never polls or moves on into the room.
/// </summary>
internal static class PreviewEndpoint
{
    /// <summary>The states a preview renders; "rejected" is the closed page's other name.</summary>
    public static readonly IReadOnlyList<string> States = ["queued", "closed", "rejected", "full", "unavailable", "challenge"];

    /// <summary>The largest place a preview takes: more than any real queue, well inside a long.</summary>
    private const long MaxPosition = 1_000_000_000;

    /// <summary>No script (it would poll and move on as this browser), no form posts; styles, images and fonts as the page has them.</summary>
    private const string ContentSecurityPolicy = "script-src 'none'; connect-src 'none'; worker-src 'none'; form-action 'none'; frame-ancestors 'self'; base-uri 'none'";

    /// <summary>As the other admin answers: quotes in a message stay readable (the body is JSON, never HTML).</summary>
    private static readonly JsonSerializerOptions s_output = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Task RenderAsync(HttpContext context, RoomTable rooms, VisitorResponses responses, VisitorPages pages, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(context);
        var query = context.Request.Query;
        var errors = new List<string>();

        var state = Single(query, "state", errors)?.ToLowerInvariant() ?? "queued";
        if (!States.Contains(state, StringComparer.Ordinal))
        {
            errors.Add($"state='{Shown(state)}' is not valid: expected one of {string.Join(", ", States)}.");
        }

        var position = Number(query, "position", 1, errors);
        var length = Number(query, "length", Math.Max(position, 1), errors);
        if (length < position)
        {
            errors.Add($"length='{length}' is not valid: expected at least the position ({position}).");
        }

        var language = Single(query, "lang", errors)?.ToLowerInvariant();
        if (language is not null && !pages.Languages.Contains(language))
        {
            errors.Add($"lang='{Shown(language)}' is not valid: expected one of {string.Join(", ", pages.Languages.Order(StringComparer.Ordinal))}.");
        }

        var name = Single(query, "room", errors);
        if (errors.Count > 0)
        {
            return Answer(context, StatusCodes.Status400BadRequest, new JsonObject { ["error"] = "invalid-preview", ["errors"] = new JsonArray([.. errors.Select(e => (JsonNode?)e)]) });
        }

        var room = string.IsNullOrEmpty(name) ? rooms.Default : rooms.Find(name);
        if (room is null)
        {
            return Answer(context, StatusCodes.Status404NotFound, new JsonObject { ["error"] = "unknown-room" });
        }

        // The page a browser of the room gets at the room's own path: its links and target are the
        // room's, never this endpoint's; the preview's own headers cannot turn it into JSON.
        if (language is not null)
        {
            context.Items[VisitorResponses.PreviewLanguageItem] = language;
        }

        var request = context.Request;
        var (path, queryString, accept) = (request.Path, request.QueryString, request.Headers.Accept);
        request.Path = room.Path;
        request.QueryString = QueryString.Empty;
        request.Headers.Accept = "text/html";
        context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        context.Response.Headers["WR-Preview"] = state;
        return RenderAsync(context, responses, room, state, position, length, time.GetUtcNow(), () =>
        {
            // The request log names the preview's own URL, not the room's path it was rendered at.
            request.Path = path;
            request.QueryString = queryString;
            request.Headers.Accept = accept;
        });
    }

    private static async Task RenderAsync(HttpContext context, VisitorResponses responses, RoomSettings room, string state, long position, long length, DateTimeOffset now, Action restore)
    {
        try
        {
            var phase = room.PhaseAt(now);
            await (state switch
            {
                "closed" or "rejected" => responses.WriteRejectedAsync(context, new AdmissionResult(VisitorState.Unknown, 0, length), room, phase),
                "full" => responses.WriteFullAsync(context, new AdmissionResult(VisitorState.Full, 0, length), room, phase),
                "unavailable" => responses.WriteUnavailableAsync(context),
                "challenge" => responses.WriteChallengeAsync(context, new ProofOfWork.ProofOfWorkChallenge("preview", 1, now.AddMinutes(1)), room, phase),
                _ => responses.WriteQueuedAsync(context, new AdmissionResult(VisitorState.Queued, position, length), room, phase),
            });
        }
        finally
        {
            restore();
        }
    }

    /// <summary>The parameter's one value, null when absent; a repeated parameter is an error.</summary>
    private static string? Single(IQueryCollection query, string name, List<string> errors)
    {
        var values = query[name];
        if (values.Count > 1)
        {
            errors.Add($"{name} is not valid: expected it once, not {values.Count} times.");
            return null;
        }

        return values.Count == 0 || string.IsNullOrEmpty(values[0]) ? null : values[0];
    }

    private static long Number(IQueryCollection query, string name, long fallback, List<string> errors)
    {
        var raw = Single(query, name, errors);
        if (raw is null)
        {
            return fallback;
        }

        if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= MaxPosition)
        {
            return value;
        }

        errors.Add($"{name}='{Shown(raw)}' is not valid: expected a whole number from 1 to {MaxPosition}.");
        return fallback;
    }

    /// <summary>A client's value as an error line shows it: short, without control characters.</summary>
    private static string Shown(string value) => WaitingRoom.Configuration.WaitingRoomConfigurationException.Shown(value);

    private static Task Answer(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(body.ToJsonString(s_output));
    }
}
