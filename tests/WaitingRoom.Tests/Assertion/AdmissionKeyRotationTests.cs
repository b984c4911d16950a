using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Assertion;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Assertion;

/// <summary>
/// Key rotation in virtual time: the room's clock (and its loops' timers) move only when the test
/// says, each step then refreshes the key ring as the key service's round would, and the key set is
/// read over HTTP and the assertions verified as an origin would.
/// </summary>
public sealed class AdmissionKeyRotationTests : IAsyncLifetime
{
    private TestBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await TestBackend.StartAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    private Dictionary<string, string?> Settings(string prefix, string? keyFile = null)
    {
        var settings = RedisServer.Shared.Settings(prefix);
        settings["WR_BACKEND_URL"] = _backend.Address.ToString();
        settings["WR_ADMISSION_HEADER"] = "on";
        settings["WR_ADMISSION_KEY"] = keyFile;
        return settings;
    }

    private static async Task StepAsync(ProxyInstance proxy, FakeTimeProvider clock, TimeSpan by)
    {
        clock.Advance(by);
        await proxy.Services.GetRequiredService<AdmissionKeyRing>().RefreshAsync(CancellationToken.None);
    }

    /// <summary>The kid of a new visitor's assertion now.</summary>
    private static async Task<(string Kid, string Token)> SignedNowAsync(ProxyInstance proxy)
    {
        using var visitor = proxy.Visitor();
        var token = await AssertionVerifier.AssertionAsync(visitor);
        return (AssertionVerifier.Read(token).Kid, token);
    }

    [Fact]
    public async Task GeneratedKey_Rotates_NextListedAhead_OldListedUntilItsAssertionsExpired()
    {
        // Arrange
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var proxy = await ProxyInstance.StartAsync(Settings(RedisServer.NewPrefix()), time: clock);
        var (first, firstToken) = await SignedNowAsync(proxy);
        var listedAtStart = await AssertionVerifier.KidsAsync(proxy);

        // Act + Assert, step by step through a day and a bit.
        Assert.Equal([first], listedAtStart);

        // An hour before the first key's day ends: the next is listed, the first still signs.
        await StepAsync(proxy, clock, AdmissionKeySchedule.SigningPeriod - AdmissionKeySchedule.PublishAhead + TimeSpan.FromMinutes(1));
        var listedAhead = await AssertionVerifier.KidsAsync(proxy);
        Assert.Equal(2, listedAhead.Length);
        Assert.Equal(first, listedAhead[0]); // the signing key first
        Assert.Equal(first, (await SignedNowAsync(proxy)).Kid);
        var next = listedAhead[1];

        // The day is over: the next key signs; the first stays listed, and what it signed still verifies.
        await StepAsync(proxy, clock, AdmissionKeySchedule.PublishAhead);
        var (signing, token) = await SignedNowAsync(proxy);
        var (set, _, _) = await AssertionVerifier.FetchJwksAsync(proxy);
        Assert.Equal(next, signing);
        Assert.Equal([next, first], set.Keys.Select(k => k.Kid));
        Assert.True((await AssertionVerifier.ValidateAsync(token, set)).IsValid);
        Assert.True((await AssertionVerifier.ValidateAsync(firstToken, set)).Exception is Microsoft.IdentityModel.Tokens.SecurityTokenExpiredException or null);

        // Just before the end of its listing the first key is still there; after it, gone.
        await StepAsync(proxy, clock, AdmissionKeySchedule.ListedAfterUse - TimeSpan.FromMinutes(2));
        Assert.Contains(first, await AssertionVerifier.KidsAsync(proxy));
        await StepAsync(proxy, clock, TimeSpan.FromMinutes(3));
        Assert.Equal([next], await AssertionVerifier.KidsAsync(proxy));
    }

    [Fact]
    public async Task OperatorKey_Replaced_PreviousStaysListedForAWhile()
    {
        // Arrange: two key files, as an operator rotating by hand would have.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var prefix = RedisServer.NewPrefix();
        using var oldKey = new KeyFile();
        using var newKey = new KeyFile();
        string oldKid;
        await using (var before = await ProxyInstance.StartAsync(Settings(prefix, oldKey.Path), time: clock))
        {
            oldKid = (await SignedNowAsync(before)).Kid;
            Assert.Equal([oldKid], await AssertionVerifier.KidsAsync(before));
        }

        // Act: the file replaced, the instance restarted.
        clock.Advance(TimeSpan.FromMinutes(5));
        await using var after = await ProxyInstance.StartAsync(Settings(prefix, newKey.Path), time: clock);
        var (newKid, token) = await SignedNowAsync(after);
        var listed = await AssertionVerifier.KidsAsync(after);
        var verified = await AssertionVerifier.ValidateAsync(token, (await AssertionVerifier.FetchJwksAsync(after)).Set);

        // Assert: the new key signs and comes first; the previous one stays until ListedAfterUse after it last signed.
        Assert.NotEqual(oldKid, newKid);
        Assert.True(verified.IsValid, verified.Exception?.Message);
        Assert.Equal([newKid, oldKid], listed);
        await StepAsync(after, clock, AdmissionKeySchedule.ListedAfterUse - TimeSpan.FromMinutes(10));
        Assert.Equal([newKid, oldKid], await AssertionVerifier.KidsAsync(after));
        await StepAsync(after, clock, TimeSpan.FromMinutes(6));
        Assert.Equal([newKid], await AssertionVerifier.KidsAsync(after));
    }

    [Fact]
    public async Task SessionMax_CapsExp_AndHalfLifeRenews()
    {
        // Arrange: a long idle TTL, a two-minute session cap.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = Settings(RedisServer.NewPrefix());
        settings["WR_ACTIVE_TTL"] = "600";
        settings["WR_SESSION_MAX"] = "120";
        await using var proxy = await ProxyInstance.StartAsync(settings, time: clock);
        using var visitor = proxy.Visitor();

        // Act
        var first = AssertionVerifier.Read(await AssertionVerifier.AssertionAsync(visitor));
        clock.Advance(TimeSpan.FromSeconds(60));
        var later = AssertionVerifier.Read(await AssertionVerifier.AssertionAsync(visitor));

        // Assert: exp is the cap's end plus 30 s, not the TTL's; a capped assertion is not re-signed (no later exp to give).
        // In whole seconds: Assert.Equal's tolerance overload compares as float, whose step near 1.8e9 s is 128 s.
        Assert.InRange(first.GetPayloadValue<long>("exp") - (first.GetPayloadValue<long>("admitted_at") + 120 + 30), -1L, 1L);
        Assert.Equal(first.EncodedToken, later.EncodedToken);
    }

    [Fact]
    public async Task Assertion_RenewedAfterHalfItsLife_SameJti()
    {
        // Arrange
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var proxy = await ProxyInstance.StartAsync(Settings(RedisServer.NewPrefix()), time: clock);
        using var visitor = proxy.Visitor();
        var assertions = proxy.Services.GetRequiredService<AdmissionAssertions>();

        // Act: WR_ACTIVE_TTL 60 s, so exp − iat is 90 s and it is renewed past 45 s.
        var first = await AssertionVerifier.AssertionAsync(visitor);
        clock.Advance(TimeSpan.FromSeconds(40));
        var cached = await AssertionVerifier.AssertionAsync(visitor);
        var signaturesBefore = assertions.Signatures;
        clock.Advance(TimeSpan.FromSeconds(10));
        var renewed = await AssertionVerifier.AssertionAsync(visitor);

        // Assert
        Assert.Equal(first, cached);
        Assert.NotEqual(first, renewed);
        Assert.Equal(signaturesBefore + 1, assertions.Signatures);
        Assert.Equal(AssertionVerifier.Read(first).Id, AssertionVerifier.Read(renewed).Id);
        Assert.True(AssertionVerifier.Read(renewed).GetPayloadValue<long>("exp") > AssertionVerifier.Read(first).GetPayloadValue<long>("exp"));
    }

    /// <summary>An EC P-256 private key in a PEM file (PKCS#8), deleted afterwards.</summary>
    private sealed class KeyFile : IDisposable
    {
        public KeyFile()
        {
            using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
            File.WriteAllText(Path, key.ExportPkcs8PrivateKeyPem());
        }

        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"wr-admission-{Guid.NewGuid():N}.pem");

        public void Dispose() => File.Delete(Path);
    }
}
