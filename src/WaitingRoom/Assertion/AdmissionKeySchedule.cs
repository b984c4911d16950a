using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace WaitingRoom.Assertion;

/// <summary>
/// The admission signing keys every instance shares through the store (one document,
/// <see cref="DocumentName"/>, changed by compare-and-set), and the rules that rotate them. Pure:
/// the time is given, so rotation is tested in virtual time.
/// </summary>
/// <remarks>
/// <para>Generated keys (WR_ADMISSION_KEY unset): each signs for <see cref="SigningPeriod"/>; the next
/// one is created and listed <see cref="PublishAhead"/> before it signs (so a verifier that cached the
/// key set meets no unknown kid), and a key stays listed <see cref="ListedAfterUse"/> after it stopped
/// signing, longer than any assertion it signed can live (<see cref="MaxAssertionLifetime"/>). The
/// private keys are in the document, as the cookie key is: whoever can read the store can sign.</para>
/// <para>An operator's key (WR_ADMISSION_KEY): only its public half is stored. Every instance that signs
/// with it renews its listing to <see cref="ListedAfterUse"/> from now (at most every
/// <see cref="OperatorRenewal"/>), so after the file is replaced the previous key stays listed until
/// <see cref="ListedAfterUse"/> after the last instance that used it stopped.</para>
/// </remarks>
internal static class AdmissionKeySchedule
{
    /// <summary>The name of the shared document.</summary>
    public const string DocumentName = "admission-keys";

    /// <summary>How long one generated key signs before the next takes over.</summary>
    public static readonly TimeSpan SigningPeriod = TimeSpan.FromDays(1);

    /// <summary>How long before it signs a generated key is listed.</summary>
    public static readonly TimeSpan PublishAhead = TimeSpan.FromHours(1);

    /// <summary>The longest an assertion lives (exp − iat), whatever the room's TTLs: it bounds how long a retired key must stay listed.</summary>
    public static readonly TimeSpan MaxAssertionLifetime = TimeSpan.FromHours(1);

    /// <summary>How long a key stays listed after it last signed: every assertion it signed has expired, plus an hour for verifiers' clock skew and caches.</summary>
    public static readonly TimeSpan ListedAfterUse = MaxAssertionLifetime + TimeSpan.FromHours(1);

    /// <summary>An operator's key is announced again when its listing has less than <see cref="ListedAfterUse"/> minus this left: one write per instance per this period.</summary>
    public static readonly TimeSpan OperatorRenewal = TimeSpan.FromMinutes(10);

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The document after one maintenance step at <paramref name="now"/>: keys no longer listed
    /// dropped; with <paramref name="operatorKey"/>, that key listed (renewed); without, a generated
    /// key signing now and the next one listed ahead. Null when nothing needs to change.
    /// </summary>
    /// <param name="stored">The stored document, null when none (an unreadable one is replaced).</param>
    /// <param name="now">The instant.</param>
    /// <param name="operatorKey">The key of WR_ADMISSION_KEY, or null for generated keys.</param>
    public static string? Maintain(string? stored, DateTimeOffset now, ECDsa? operatorKey)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var before = Parse(stored);
        var keys = before?.Where(k => k.ListedUntil > nowMs).ToList() ?? [];
        var changed = before is null || keys.Count != before.Count;
        if (operatorKey is not null)
        {
            var own = Describe(operatorKey, includePrivate: false, signsFrom: 0, signsUntil: 0, listedUntil: nowMs + Ms(ListedAfterUse));
            var index = keys.FindIndex(k => k.Kid == own.Kid);
            if (index < 0)
            {
                keys.Add(own);
                changed = true;
            }
            else if (keys[index].ListedUntil < own.ListedUntil - Ms(OperatorRenewal))
            {
                keys[index] = keys[index] with { ListedUntil = own.ListedUntil };
                changed = true;
            }
        }
        else
        {
            var latest = keys.Where(k => k.Private is not null).MaxBy(k => k.SignsUntil);
            if (latest is null || latest.SignsUntil <= nowMs)
            {
                // None signs now (the first start, or the store lost the document): one signs at once.
                keys.Add(Generate(nowMs));
                changed = true;
            }
            else if (latest.SignsUntil - nowMs < Ms(PublishAhead))
            {
                keys.Add(Generate(latest.SignsUntil));
                changed = true;
            }
        }

        return changed ? JsonSerializer.Serialize(new Document(keys), s_json) : null;
    }

    /// <summary>The keys of a stored document; null when there is none or it cannot be read.</summary>
    public static List<StoredKey>? Parse(string? stored)
    {
        if (stored is null)
        {
            return null;
        }

        try
        {
            var document = JsonSerializer.Deserialize<Document>(stored, s_json);
            return document?.Keys is { } keys && keys.TrueForAll(k => k is { Kid: not null, X: not null, Y: not null }) ? keys : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A new P-256 key signing from <paramref name="signsFrom"/> for one period.</summary>
    private static StoredKey Generate(long signsFrom)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signsUntil = signsFrom + Ms(SigningPeriod);
        return Describe(key, includePrivate: true, signsFrom, signsUntil, signsUntil + Ms(ListedAfterUse));
    }

    private static StoredKey Describe(ECDsa key, bool includePrivate, long signsFrom, long signsUntil, long listedUntil)
    {
        var (x, y) = PublicPoint(key);
        return new StoredKey(Thumbprint(x, y), x, y, includePrivate ? Convert.ToBase64String(key.ExportPkcs8PrivateKey()) : null, signsFrom, signsUntil, listedUntil);
    }

    /// <summary>The public point as base64url coordinates (32 bytes each for P-256).</summary>
    public static (string X, string Y) PublicPoint(ECDsa key)
    {
        var q = key.ExportParameters(includePrivateParameters: false).Q;
        return (Base64Url.EncodeToString(q.X), Base64Url.EncodeToString(q.Y));
    }

    /// <summary>The key id: the RFC 7638 JWK thumbprint (SHA-256 of the required members in lexical order), the same on every instance.</summary>
    public static string Thumbprint(string x, string y) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{x}\",\"y\":\"{y}\"}}")));

    private static long Ms(TimeSpan span) => (long)span.TotalMilliseconds;

    /// <summary>The stored document.</summary>
    internal sealed record Document(List<StoredKey> Keys);

    /// <summary>
    /// One key as stored. Times are Unix milliseconds. A generated key has <see cref="Private"/>
    /// (PKCS#8, base64) and signs in [<see cref="SignsFrom"/>, <see cref="SignsUntil"/>); an
    /// operator's key has neither (0, 0): it signs on the instances that hold its file.
    /// </summary>
    internal sealed record StoredKey(string Kid, string X, string Y, string? Private, long SignsFrom, long SignsUntil, long ListedUntil);
}
