using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace WaitingRoom.Tests.Operations;

/// <summary>Calls the admin API of one proxy instance with a bearer token (or none).</summary>
internal sealed class AdminClient(Uri address, string? token) : IDisposable
{
    private readonly HttpClient _client = new() { BaseAddress = address };

    public async Task<(HttpStatusCode Status, JsonElement Json, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string? body = null, string? authorization = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        else if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, json, response);
    }

    public Task<(HttpStatusCode Status, JsonElement Json, HttpResponseMessage Response)> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<(HttpStatusCode Status, JsonElement Json, HttpResponseMessage Response)> PostAsync(string path, string? body = null) => SendAsync(HttpMethod.Post, path, body);

    public Task<(HttpStatusCode Status, JsonElement Json, HttpResponseMessage Response)> PatchAsync(string path, string body) => SendAsync(HttpMethod.Patch, path, body);

    /// <summary>The room object of GET /_wr/admin/rooms for <paramref name="name"/>.</summary>
    public async Task<JsonElement> RoomAsync(string name = "default")
    {
        var (status, json, _) = await GetAsync("/_wr/admin/rooms");
        if (status != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET /_wr/admin/rooms answered {(int)status}");
        }

        return json.EnumerateArray().Single(r => r.GetProperty("name").GetString() == name);
    }

    public void Dispose() => _client.Dispose();
}
