using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace WaitingRoom.Codes;

/// <summary>The admin API's conventions (<see cref="Operations.AdminJson"/>): its JSON body limit, the audit line.</summary>
internal sealed partial class AccessCodeEndpoints
{
    private const int MaxBodyBytes = 4096;

    /// <summary>A JSON object body of at most <see cref="MaxBodyBytes"/>; otherwise the 400/413/415 to answer.</summary>
    private static Task<(JsonObject? Body, IResult? Problem)> ReadObjectAsync(HttpContext context) =>
        Operations.AdminJson.ReadObjectAsync(context, MaxBodyBytes, "the body must be a JSON object such as {\"uses\":50,\"expiresAt\":\"2030-01-01T00:00:00Z\",\"lane\":\"skip\"}");

    /// <summary>One audit line per change, the admin API's own (same category, event id and shape); the code itself is never logged.</summary>
    private void Audit(HttpContext context, string action, string target, string before, string after)
    {
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "-";
        audit.Change(token?.Id ?? "-", client, action, target, before, after);
    }
}
