using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace WaitingRoom.Codes;

/// <summary>The admin API's conventions (as <see cref="Operations.AdminEndpoints"/>): JSON bodies, errors, the audit line.</summary>
internal sealed partial class AccessCodeEndpoints
{
    private const int MaxBodyBytes = 4096;

    private static readonly JsonSerializerOptions s_output = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A JSON object body of at most <see cref="MaxBodyBytes"/>; otherwise the 400/413/415 to answer.</summary>
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

        var read = await request.BodyReader.ReadAtLeastAsync(MaxBodyBytes + 1, context.RequestAborted);
        var bytes = read.Buffer.ToArray();
        request.BodyReader.AdvanceTo(read.Buffer.End);
        if (bytes.Length > MaxBodyBytes)
        {
            return (null, Error(StatusCodes.Status413PayloadTooLarge, "body-too-large"));
        }

        try
        {
            return JsonNode.Parse(bytes) is JsonObject body
                ? (body, null)
                : (null, Error(StatusCodes.Status400BadRequest, "invalid-json", ["the body must be a JSON object such as {\"uses\":50,\"expiresAt\":\"2030-01-01T00:00:00Z\",\"lane\":\"skip\"}"]));
        }
        catch (JsonException ex)
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid-json", [ex.Message]));
        }
    }

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

    /// <summary>One audit line per change, the admin API's own (same category, event id and shape); the code itself is never logged.</summary>
    private void Audit(HttpContext context, string action, string target, string before, string after)
    {
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "-";
        // The same audit event as every other admin change (one logging method per event name).
        Operations.AdminEndpoints.LogChange(_audit, token?.Id ?? "-", client, action, target, before, after);
    }
}
