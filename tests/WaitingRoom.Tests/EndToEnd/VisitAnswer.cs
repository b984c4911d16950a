using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>What one request through the proxy got back, with the headers kept for assertions.</summary>
internal sealed record VisitAnswer(
    HttpStatusCode Status,
    JsonElement? Json,
    string? Token,
    string Body,
    string? MediaType,
    HttpResponseHeaders Headers,
    HttpContentHeaders ContentHeaders)
{
    /// <summary>
    /// True when the test backend answered (its /echo JSON, "backend:{path}", /release's "released" or /command's "commanded"),
    /// i.e. the proxy forwarded the request.
    /// </summary>
    public bool ReachedBackend =>
        Status == HttpStatusCode.OK &&
        (Body.StartsWith("backend:", StringComparison.Ordinal) ||
         string.Equals(Body, "released", StringComparison.Ordinal) ||
         string.Equals(Body, "commanded", StringComparison.Ordinal) ||
         Json?.TryGetProperty("method", out _) == true);

    /// <summary>The room's "state" in a JSON answer; null when the answer is not the room's JSON.</summary>
    public string? State => Text("state");

    /// <summary>A string property of the JSON answer, or null.</summary>
    public string? Text(string name) =>
        Json?.ValueKind == JsonValueKind.Object && Json.Value.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>A number property of the JSON answer; fails the test when it is missing.</summary>
    public long Number(string name) => Json!.Value.GetProperty(name).GetInt64();

    /// <summary>True when the response carries <paramref name="name"/> among its headers or content headers.</summary>
    public bool HasHeader(string name) => Headers.Contains(name) || ContentHeaders.Contains(name);
}
