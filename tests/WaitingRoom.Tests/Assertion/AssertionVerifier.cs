using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Assertion;

/// <summary>
/// The origin's side, as an operator would write it with Microsoft.IdentityModel: the key set
/// fetched over HTTP from the room, then JsonWebTokenHandler with ES256 only, the issuer checked,
/// no audience, no clock skew.
/// </summary>
internal static class AssertionVerifier
{
    /// <summary>GET /_wr/.well-known/jwks.json from a running instance: the set and the raw JSON.</summary>
    public static async Task<(JsonWebKeySet Set, JsonElement Json, HttpResponseMessage Response)> FetchJwksAsync(ProxyInstance proxy)
    {
        using var client = new HttpClient { BaseAddress = proxy.Address };
        var response = await client.GetAsync("/_wr/.well-known/jwks.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        return (new JsonWebKeySet(text), JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    /// <summary>The kids of the set at the instance now.</summary>
    public static async Task<string[]> KidsAsync(ProxyInstance proxy) =>
        [.. (await FetchJwksAsync(proxy)).Set.Keys.Select(k => k.Kid)];

    public static async Task<TokenValidationResult> ValidateAsync(string token, JsonWebKeySet keys, string issuer = "waitingroom") =>
        await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidIssuer = issuer,
            ValidateAudience = false,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ClockSkew = TimeSpan.Zero,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
        });

    /// <summary>GET /echo as the visitor; the WR-Admission values the backend received (empty when none).</summary>
    public static async Task<string[]> ReceivedAsync(HttpClient visitor, string path = "/echo", Action<HttpRequestMessage>? change = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        change?.Invoke(request);
        using var response = await visitor.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = TestBackend.Parse(await response.Content.ReadAsStringAsync());
        return echo.GetProperty("wrAdmission") is { ValueKind: JsonValueKind.Array } values ? [.. values.EnumerateArray().Select(v => v.GetString()!)] : [];
    }

    /// <summary>The one assertion the backend received for the visitor's request.</summary>
    public static async Task<string> AssertionAsync(HttpClient visitor, string path = "/echo") => Assert.Single(await ReceivedAsync(visitor, path));

    /// <summary>The claims of a token, read without checking it.</summary>
    public static JsonWebToken Read(string token) => new(token);
}
