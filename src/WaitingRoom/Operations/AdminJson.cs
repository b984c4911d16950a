using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace WaitingRoom.Operations;

/// <summary>
/// The admin API's JSON conventions, one place for every part of it (rooms and backends, access
/// codes, analytics): a bounded JSON object body, answers as application/json, and errors as
/// <c>{"error":"code","errors":["what to fix"]}</c>.
/// </summary>
internal static class AdminJson
{
    /// <summary>Quotes and non-ASCII text as they are (the answer is application/json, never inlined in HTML).</summary>
    private static readonly JsonSerializerOptions s_output = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Reads a JSON object body of at most <paramref name="maxBytes"/>; otherwise the 413 (too large),
    /// 415 (not JSON) or 400 (not parsed, or not an object: <paramref name="objectHint"/>) to answer.
    /// </summary>
    public static async Task<(JsonObject? Body, IResult? Problem)> ReadObjectAsync(HttpContext context, int maxBytes, string objectHint)
    {
        var request = context.Request;
        if (request.ContentLength > maxBytes)
        {
            return (null, Error(StatusCodes.Status413PayloadTooLarge, "body-too-large"));
        }

        if (request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Error(StatusCodes.Status415UnsupportedMediaType, "json-expected", ["send Content-Type: application/json"]));
        }

        // At most one byte past the limit is read: enough to tell a body that is too large.
        var read = await request.BodyReader.ReadAtLeastAsync(maxBytes + 1, context.RequestAborted);
        var bytes = read.Buffer.ToArray();
        request.BodyReader.AdvanceTo(read.Buffer.End);
        if (bytes.Length > maxBytes)
        {
            return (null, Error(StatusCodes.Status413PayloadTooLarge, "body-too-large"));
        }

        try
        {
            return JsonNode.Parse(bytes) is JsonObject body
                ? (body, null)
                : (null, Error(StatusCodes.Status400BadRequest, "invalid-json", [objectHint]));
        }
        catch (JsonException ex)
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid-json", [ex.Message]));
        }
    }

    public static IResult Json(int status, JsonNode body) =>
        Results.Text(body.ToJsonString(s_output), "application/json; charset=utf-8", statusCode: status);

    public static IResult Error(int status, string code, IEnumerable<string>? errors = null)
    {
        var body = new JsonObject { ["error"] = code };
        if (errors is not null)
        {
            body["errors"] = new JsonArray([.. errors.Select(e => (JsonNode?)JsonValue.Create(e))]);
        }

        return Json(status, body);
    }
}
