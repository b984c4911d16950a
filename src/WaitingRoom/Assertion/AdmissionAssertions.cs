using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;

namespace WaitingRoom.Assertion;

/// <summary>
/// The <c>WR-Admission</c> assertion of one admitted visitor: a JWT (ES256, kid in the header) with
/// iss, sub (a keyed hash of the visitor id: stable per visitor, useless as a cookie), room,
/// admitted_at, iat, exp and jti (a keyed hash of the visitor and the admission's start: the same on
/// every request of one admission, new for the next). Signed once per admission and kept: re-signed
/// only when half its life is gone, the key changed, or a new admission began, so the ECDSA cost
/// (tens of microseconds) is paid a few times per visitor, not per request.
/// </summary>
/// <remarks>
/// exp is a little (<see cref="Leeway"/>) after the session's end as it stands when signing: the end
/// of WR_ACTIVE_TTL if the visitor made no further request, never after the WR_SESSION_MAX cap, and
/// at most <see cref="AdmissionKeySchedule.MaxAssertionLifetime"/> after iat.
/// </remarks>
internal sealed partial class AdmissionAssertions(
    AdmissionKeyRing ring,
    VisitorTokenSigner visitors,
    TimeProvider time,
    IOptions<WaitingRoomOptions> options,
    ILogger<AdmissionAssertions> logger)
{
    /// <summary>The request header the origin reads; a client's own is always removed.</summary>
    public const string HeaderName = "WR-Admission";

    /// <summary>Past the session's end an assertion stays valid this long: for clock skew and requests still in flight.</summary>
    public static readonly TimeSpan Leeway = TimeSpan.FromSeconds(30);

    /// <summary>Assertions kept at most (about 1 KB each); when full the memory starts again (each visitor then costs one more signature).</summary>
    internal const int Capacity = 100_000;

    private readonly string _issuer = options.Value.AdmissionIssuer;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly ConcurrentDictionary<(string Room, string Visitor), Signed> _signed = new();
    private int _unsignedLogged;
    private long _signatures;

    /// <summary>Assertions held now (for tests and diagnostics).</summary>
    public int Count => _signed.Count;

    /// <summary>Signatures made since start (for tests and the measurement of the cache).</summary>
    public long Signatures => Interlocked.Read(ref _signatures);

    /// <summary>
    /// The assertion for <paramref name="visitorId"/>'s admission that began at <paramref name="admittedAt"/>
    /// (Unix ms, as the store said; 0 = unknown) under <paramref name="policy"/>; null while no key is loaded.
    /// </summary>
    public string? For(RoomPolicy policy, string visitorId, long admittedAt)
    {
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var key = ring.SigningKeyAt(nowMs);
        if (key is null)
        {
            if (Interlocked.Exchange(ref _unsignedLogged, 1) == 0)
            {
                LogUnsigned(logger);
            }

            return null;
        }

        var slot = (policy.Name, visitorId);
        if (_signed.TryGetValue(slot, out var held) && ReferenceEquals(held.Key, key) && nowMs < held.RenewAt
            && (held.AdmittedAt == admittedAt || admittedAt == 0))
        {
            return held.Token;
        }

        // An unknown start (a store that did not say) keeps the first one this instance saw, so jti stays put.
        var start = admittedAt != 0 ? admittedAt : held?.AdmittedAt ?? nowMs;
        var signed = Sign(policy, visitorId, start, key, nowMs);
        if (_signed.Count >= Capacity)
        {
            _signed.Clear();
        }

        _signed[slot] = signed;
        return signed.Token;
    }

    /// <summary>Forgets the assertions that have expired; run by the key service every round.</summary>
    public void Sweep()
    {
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var pair in _signed)
        {
            if (pair.Value.ExpiresAt <= nowMs)
            {
                _signed.TryRemove(pair);
            }
        }
    }

    private Signed Sign(RoomPolicy policy, string visitorId, long admittedAt, SigningKey key, long nowMs)
    {
        var life = Math.Min(Ms(policy.ActiveTtl), Ms(AdmissionKeySchedule.MaxAssertionLifetime));
        var end = nowMs + life;
        var capped = false;
        if (policy.SessionMax > TimeSpan.Zero && admittedAt + Ms(policy.SessionMax) <= end)
        {
            end = Math.Max(admittedAt + Ms(policy.SessionMax), nowMs);
            capped = true;
        }

        var expiresAt = end + Ms(Leeway);
        var issuedAt = nowMs / 1000;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _issuer,
            SigningCredentials = key.Credentials,
            Claims = new Dictionary<string, object>(7, StringComparer.Ordinal)
            {
                [JwtRegisteredClaimNames.Sub] = visitors.Pseudonym("wr-admission-sub", visitorId),
                ["room"] = policy.Name,
                ["admitted_at"] = admittedAt / 1000,
                [JwtRegisteredClaimNames.Iat] = issuedAt,
                [JwtRegisteredClaimNames.Exp] = (expiresAt + 999) / 1000,
                [JwtRegisteredClaimNames.Jti] = visitors.Pseudonym("wr-admission-jti", $"{policy.Name}\n{visitorId}\n{admittedAt}"),
            },
        });
        Interlocked.Increment(ref _signatures);

        // Renewed when half its life is gone (a capped one runs to its end: a new one would not live longer),
        // and before its key stops signing.
        var renewAt = capped ? expiresAt : nowMs + (expiresAt - nowMs) / 2;
        return new Signed(key, admittedAt, Math.Min(renewAt, key.SignsUntil), expiresAt, token);
    }

    private static long Ms(TimeSpan span) => (long)span.TotalMilliseconds;

    [LoggerMessage(EventId = EventIds.AdmissionUnsigned, Level = LogLevel.Warning, EventName = nameof(EventIds.AdmissionUnsigned),
        Message = "Admitted requests are forwarded without WR-Admission: the admission signing keys are not loaded from the store yet (logged once).")]
    private static partial void LogUnsigned(ILogger logger);

    /// <summary>One signed assertion and when to sign again (Unix ms).</summary>
    private sealed record Signed(SigningKey Key, long AdmittedAt, long RenewAt, long ExpiresAt, string Token);
}
