using System.Diagnostics;
using System.Text.Json;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// Requests as a visitor makes them, for the end-to-end tests of queue modes, room policies,
/// rooms and events: the cookie is sent explicitly (a token, or none for a new visitor) and the
/// client address is played with X-Forwarded-For (loopback is a trusted proxy by default).
/// </summary>
internal static class Visit
{
    /// <summary>
    /// GET <paramref name="path"/> (a path starting with "//" is sent as it is, not as a host).
    /// <paramref name="accept"/> defaults to JSON; <paramref name="headers"/> are added as they are.
    /// </summary>
    public static async Task<VisitAnswer> GetAsync(
        HttpClient client,
        string path,
        string? token = null,
        string? forwardedFor = null,
        string accept = "application/json",
        IReadOnlyDictionary<string, string>? headers = null)
    {
        var uri = path.StartsWith("//", StringComparison.Ordinal)
            ? new Uri(client.BaseAddress!.GetLeftPart(UriPartial.Authority) + path)
            : new Uri(path, UriKind.Relative);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.ParseAdd(accept);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (token is not null)
        {
            request.Headers.Add("Cookie", "wr_token=" + token);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Add(name, value);
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        JsonElement? json = string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase) && body.Length > 0
            ? JsonDocument.Parse(body).RootElement.Clone()
            : null;
        return new VisitAnswer(response.StatusCode, json, ProxyInstance.TokenOf(response) ?? token, body, mediaType, response.Headers, response.Content.Headers);
    }

    /// <summary>The caller's JSON status in a room (the default room when <paramref name="room"/> is null).</summary>
    public static Task<VisitAnswer> StatusAsync(HttpClient client, string token, string? room = null) =>
        GetAsync(client, room is null ? "/_wr/status" : "/_wr/status?room=" + Uri.EscapeDataString(room), token);

    /// <summary>Waits, polling every 50 ms, until <paramref name="condition"/> holds; fails the test after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"{what}: not within {timeout.TotalSeconds:0.#} s");
            }

            await Task.Delay(50);
        }
    }
}
