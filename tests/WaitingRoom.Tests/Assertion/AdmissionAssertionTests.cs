using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;
using WaitingRoom.Assertion;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Assertion;

/// <summary>
/// WR-Admission end to end: real Kestrel, real YARP, a real backend on 127.0.0.1 that echoes the
/// header it received, the store in a real redis-server, and the assertion verified the way an
/// origin would (JsonWebTokenHandler against the key set fetched over HTTP).
/// </summary>
public sealed class AdmissionAssertionTests : IAsyncLifetime
{
    private const string BypassHeader = "X-Room-Bypass";
    private const string BypassSecret = "0123456789abcdef0123";

    private TestBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await TestBackend.StartAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    private Dictionary<string, string?> Settings(string? prefix = null, bool on = true)
    {
        var settings = RedisServer.Shared.Settings(prefix ?? RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = _backend.Address.ToString();
        settings["WR_MAX_ACTIVE"] = "50";
        settings["WR_BYPASS_HEADER"] = BypassHeader + ":" + BypassSecret;
        if (on)
        {
            settings["WR_ADMISSION_HEADER"] = "on";
        }

        return settings;
    }

    [Fact]
    public async Task Forward_AdmittedVisitor_CarriesAssertionTheJwksVerifies()
    {
        // Arrange
        await using var proxy = await ProxyInstance.StartAsync(Settings());
        using var visitor = proxy.Visitor();

        // Act
        var token = await AssertionVerifier.AssertionAsync(visitor);
        var (keys, json, response) = await AssertionVerifier.FetchJwksAsync(proxy);
        var result = await AssertionVerifier.ValidateAsync(token, keys);

        // Assert: the key set as RFC 7517 says, cacheable, and the assertion checks out with the claims promised.
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal("public, max-age=300", response.Headers.CacheControl?.ToString());
        var jwk = Assert.Single(json.GetProperty("keys").EnumerateArray());
        Assert.Equal("EC", jwk.GetProperty("kty").GetString());
        Assert.Equal("P-256", jwk.GetProperty("crv").GetString());
        Assert.Equal("sig", jwk.GetProperty("use").GetString());
        Assert.Equal("ES256", jwk.GetProperty("alg").GetString());
        var jwt = AssertionVerifier.Read(token);
        Assert.Equal("ES256", jwt.Alg);
        Assert.Equal(jwk.GetProperty("kid").GetString(), jwt.Kid);
        Assert.Equal("waitingroom", jwt.Issuer);
        Assert.Equal("default", jwt.GetClaim("room").Value);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(jwt.GetPayloadValue<long>("admitted_at"), now - 60, now + 1);
        Assert.InRange(jwt.GetPayloadValue<long>("exp") - jwt.GetPayloadValue<long>("iat"), 60 + 30, 60 + 31); // WR_ACTIVE_TTL + 30 s
        Assert.Equal(22, jwt.Subject.Length);
        Assert.Equal(22, jwt.Id.Length);
    }

    [Fact]
    public async Task Forward_SameAdmission_SameAssertionAndJti_NextAdmissionNewJtiSameSub()
    {
        // Arrange
        await using var proxy = await ProxyInstance.StartAsync(Settings());
        var cookies = new CookieContainer();
        using var visitor = proxy.Visitor(cookies);
        var first = await AssertionVerifier.AssertionAsync(visitor);
        var cookie = cookies.GetCookies(proxy.Address)["wr_token"]!.Value;

        // Act: the same admission again, then the origin ends it (WR-Command: release) and the visitor comes back.
        var again = await AssertionVerifier.AssertionAsync(visitor);
        var assertions = proxy.Services.GetRequiredService<AdmissionAssertions>();
        var signatures = assertions.Signatures;
        using (await visitor.GetAsync("/release"))
        {
        }

        // Released on this instance: its admission cache forgets the visitor at once, so the next request is a new
        // admission; the pause only makes sure it starts at a later millisecond of the store's clock.
        await Task.Delay(5);
        var next = await AssertionVerifier.AssertionAsync(visitor);

        // Assert
        Assert.Equal(first, again); // cached: signed once per admission, not per request
        var (a, b) = (AssertionVerifier.Read(first), AssertionVerifier.Read(next));
        Assert.NotEqual(a.Id, b.Id);
        Assert.Equal(a.Subject, b.Subject);
        Assert.True(assertions.Signatures > signatures);
        Assert.DoesNotContain(a.Subject, cookie, StringComparison.Ordinal);
        Assert.DoesNotContain(cookie.Split('.')[0], first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_TamperedOrUnsignedAssertion_IsRefused()
    {
        // Arrange
        await using var proxy = await ProxyInstance.StartAsync(Settings());
        using var visitor = proxy.Visitor();
        var token = await AssertionVerifier.AssertionAsync(visitor);
        var (keys, _, _) = await AssertionVerifier.FetchJwksAsync(proxy);
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1]));

        // Act
        var otherRoom = parts[0] + "." + Base64UrlEncoder.Encode(payload.Replace("\"room\":\"default\"", "\"room\":\"vip\"", StringComparison.Ordinal)) + "." + parts[2];
        var signature = Base64UrlEncoder.DecodeBytes(parts[2]);
        signature[10] ^= 0x01;
        var badSignature = parts[0] + "." + parts[1] + "." + Base64UrlEncoder.Encode(signature);
        var none = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".";
        var results = new[]
        {
            await AssertionVerifier.ValidateAsync(otherRoom, keys),
            await AssertionVerifier.ValidateAsync(badSignature, keys),
            await AssertionVerifier.ValidateAsync(none, keys),
            await AssertionVerifier.ValidateAsync(token, keys, issuer: "someone-else"),
        };

        // Assert
        Assert.Contains("\"room\":\"default\"", payload, StringComparison.Ordinal);
        Assert.True((await AssertionVerifier.ValidateAsync(token, keys)).IsValid);
        Assert.All(results, result => Assert.False(result.IsValid));
        Assert.IsType<SecurityTokenInvalidSignatureException>(results[0].Exception);
        Assert.IsType<SecurityTokenInvalidSignatureException>(results[1].Exception);
    }

    [Fact]
    public async Task Verify_AssertionPastItsExp_IsRefused()
    {
        // Arrange: the room's clock two hours behind, so what it signs expired (for a verifier on real time) long ago.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromHours(2));
        await using var proxy = await ProxyInstance.StartAsync(Settings(), time: clock);
        using var visitor = proxy.Visitor();

        // Act
        var token = await AssertionVerifier.AssertionAsync(visitor);
        var result = await AssertionVerifier.ValidateAsync(token, (await AssertionVerifier.FetchJwksAsync(proxy)).Set);

        // Assert
        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenExpiredException>(result.Exception);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Forward_ClientSentAssertion_IsRemoved(bool on)
    {
        // Arrange
        await using var proxy = await ProxyInstance.StartAsync(Settings(on: on));
        using var visitor = proxy.Visitor();
        const string Forged = "eyJhbGciOiJub25lIn0.eyJyb29tIjoiZGVmYXVsdCJ9.";

        // Act: a newcomer, an admitted visitor, and a bypassed request (WR_BYPASS_HEADER), each sending its own WR-Admission.
        var received = new List<string[]>();
        foreach (var bypass in new[] { false, false, true })
        {
            received.Add(await AssertionVerifier.ReceivedAsync(visitor, change: request =>
            {
                request.Headers.TryAddWithoutValidation("WR-Admission", Forged);
                if (bypass)
                {
                    request.Headers.Add(BypassHeader, BypassSecret);
                }
            }));
        }

        // Assert: never the client's; the room's own only for admitted requests, and only when on.
        Assert.All(received, values => Assert.DoesNotContain(Forged, values));
        Assert.Equal(on ? 1 : 0, received[0].Length);
        Assert.Equal(on ? 1 : 0, received[1].Length);
        Assert.Empty(received[2]);
    }

    [Fact]
    public async Task Off_NoHeaderAndNoKeySet()
    {
        // Arrange
        await using var proxy = await ProxyInstance.StartAsync(Settings(on: false));
        using var visitor = proxy.Visitor();

        // Act
        var received = await AssertionVerifier.ReceivedAsync(visitor);
        using var jwks = await visitor.GetAsync("/_wr/.well-known/jwks.json");

        // Assert: not mapped, so the room's 404 for an unknown /_wr/ path, and never the backend's.
        Assert.Empty(received);
        Assert.Equal(HttpStatusCode.NotFound, jwks.StatusCode);
        Assert.Null(proxy.Services.GetService<AdmissionKeyRing>());
        Assert.Equal(1, _backend.Requests);
    }

    [Fact]
    public async Task TwoInstances_OneRedis_ShareTheKeyAndTheVisitorsClaims()
    {
        // Arrange: started together, so both race to create the first key.
        var prefix = RedisServer.NewPrefix();
        var starting = new[] { ProxyInstance.StartAsync(Settings(prefix)), ProxyInstance.StartAsync(Settings(prefix)) };
        await using var a = await starting[0];
        await using var b = await starting[1];
        var cookies = new CookieContainer();
        using var throughA = a.Visitor(cookies);
        using var throughB = b.Visitor(cookies);

        // Act: one visitor through A, then through B (the same cookie: A's address and B's are both 127.0.0.1).
        var fromA = await AssertionVerifier.AssertionAsync(throughA);
        var fromB = await AssertionVerifier.AssertionAsync(throughB);
        var kidsA = await AssertionVerifier.KidsAsync(a);
        var kidsB = await AssertionVerifier.KidsAsync(b);

        // Assert: one key, listed alike; either instance's key set verifies the other's assertion, with the same sub and jti.
        Assert.Equal(kidsA, kidsB);
        Assert.Single(kidsA);
        Assert.True((await AssertionVerifier.ValidateAsync(fromA, (await AssertionVerifier.FetchJwksAsync(b)).Set)).IsValid);
        Assert.True((await AssertionVerifier.ValidateAsync(fromB, (await AssertionVerifier.FetchJwksAsync(a)).Set)).IsValid);
        Assert.Equal(AssertionVerifier.Read(fromA).Subject, AssertionVerifier.Read(fromB).Subject);
        Assert.Equal(AssertionVerifier.Read(fromA).Id, AssertionVerifier.Read(fromB).Id);
    }

    [Fact]
    public async Task Start_BadAdmissionKey_StopsNamingTheVariable()
    {
        // Arrange
        var path = Path.Combine(Path.GetTempPath(), $"wr-admission-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(path, System.Security.Cryptography.RSA.Create(2048).ExportPkcs8PrivateKeyPem());
        var settings = Settings();
        settings["WR_ADMISSION_KEY"] = path;

        try
        {
            // Act
            var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
            {
                await using var proxy = await ProxyInstance.StartAsync(settings);
            });

            // Assert
            Assert.Contains($"WR_ADMISSION_KEY='{path}' is not valid: expected a readable PEM file holding an EC P-256 private key", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
