using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;

namespace WaitingRoom.Assertion;

/// <summary>
/// This instance's view of the admission signing keys: which key signs now and the JSON Web Key
/// Set every verifier fetches. <see cref="RefreshAsync"/> applies the rotation rules
/// (<see cref="AdmissionKeySchedule"/>) to the document shared through the store, by compare-and-set,
/// so any number of instances sign with the same key and list the same keys.
/// </summary>
internal sealed partial class AdmissionKeyRing : IDisposable
{
    private readonly IWaitingRoomStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<AdmissionKeyRing> _logger;
    private readonly SigningKey? _operatorKey;
    private readonly Lock _lock = new();

    /// <summary>One refresh at a time, the clock read inside: views are applied in the order of their instants.</summary>
    private readonly SemaphoreSlim _refreshing = new(1, 1);

    private Dictionary<string, SigningKey> _generated = new(StringComparer.Ordinal);
    private Snapshot? _snapshot;

    public AdmissionKeyRing(IWaitingRoomStore store, TimeProvider time, IOptions<WaitingRoomOptions> options, ILogger<AdmissionKeyRing> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        if (options.Value.AdmissionKey is { } key)
        {
            // The operator's key signs and is listed from the start, with or without the store.
            _operatorKey = SigningKey.Operator(key);
            _snapshot = Build([], [_operatorKey]);
        }
    }

    /// <summary>The RFC 7517 key set as UTF-8 JSON; null until the keys were first loaded (generated keys need the store).</summary>
    public byte[]? Jwks => Volatile.Read(ref _snapshot)?.Jwks;

    /// <summary>The kids listed now, signing key first (for tests and the start-up line).</summary>
    public IReadOnlyList<string> ListedKids => Volatile.Read(ref _snapshot)?.Kids ?? [];

    /// <summary>The key that signs at <paramref name="nowMs"/> (Unix ms); null while none is loaded.</summary>
    public SigningKey? SigningKeyAt(long nowMs)
    {
        if (_operatorKey is not null)
        {
            return _operatorKey;
        }

        var signing = Volatile.Read(ref _snapshot)?.Signing;
        SigningKey? best = null;
        for (var i = 0; signing is not null && i < signing.Length; i++)
        {
            var key = signing[i];
            if (key.SignsFrom <= nowMs && nowMs < key.SignsUntil && (best is null || key.SignsFrom > best.SignsFrom))
            {
                best = key;
            }
        }

        // Past every window (the store unreachable for a day): the latest key still signs rather than nothing.
        return best ?? (signing is { Length: > 0 } ? signing.MaxBy(k => k.SignsUntil) : null);
    }

    /// <summary>
    /// One maintenance step on the shared document, then this instance's view of it.
    /// Throws <see cref="StoreUnavailableException"/> when the store cannot be reached; the view in force stays.
    /// </summary>
    /// <remarks>
    /// Calls on one instance run one after another (the key service's round, and anyone who refreshes
    /// besides it): each reads the clock, then waits for the store, then applies its view, so two that
    /// overlapped could finish in the other order and leave the view of the earlier instant in force
    /// (a key listed again after its listing ended) until the next round.
    /// </remarks>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            var done = await SharedDocument.ChangeAsync(
                _store,
                AdmissionKeySchedule.DocumentName,
                current => AdmissionKeySchedule.Maintain(current, now, _operatorKey is null ? null : OperatorEcdsa()) is { } after ? (after, after) : (current, (string?)null),
                cancellationToken);
            if (done is not { } outcome)
            {
                return; // other instances kept writing in between: the next round reads what they wrote
            }

            Apply(AdmissionKeySchedule.Parse(outcome.Outcome) ?? [], now.ToUnixTimeMilliseconds());
        }
        finally
        {
            _refreshing.Release();
        }
    }

    public void Dispose() => _refreshing.Dispose();

    private System.Security.Cryptography.ECDsa OperatorEcdsa() => ((Microsoft.IdentityModel.Tokens.ECDsaSecurityKey)_operatorKey!.Credentials.Key).ECDsa;

    private void Apply(List<AdmissionKeySchedule.StoredKey> stored, long nowMs)
    {
        lock (_lock)
        {
            var generated = new Dictionary<string, SigningKey>(StringComparer.Ordinal);
            var signing = new List<SigningKey>();
            // With the operator's key, generated keys still listed are only listed: they never sign here.
            foreach (var key in stored.Where(k => _operatorKey is null && k.Private is not null && k.ListedUntil > nowMs))
            {
                if (!_generated.TryGetValue(key.Kid, out var known))
                {
                    known = SigningKey.Generated(key);
                    var (from, until) = (DateTimeOffset.FromUnixTimeMilliseconds(key.SignsFrom), DateTimeOffset.FromUnixTimeMilliseconds(key.SignsUntil));
                    LogKeyListed(_logger, key.Kid, from, until);
                }

                generated[key.Kid] = known;
                signing.Add(known);
            }

            _generated = generated;
            var listed = stored.Where(k => k.ListedUntil > nowMs).Select(k => (k.Kid, k.X, k.Y)).ToList();
            if (_operatorKey is not null && !listed.Exists(k => k.Kid == _operatorKey.Kid))
            {
                listed.Add((_operatorKey.Kid, _operatorKey.X, _operatorKey.Y));
            }

            var kids = Order(listed, nowMs);
            Volatile.Write(ref _snapshot, new Snapshot([.. signing], kids, Serialize(kids, listed)));
        }
    }

    /// <summary>The signing key first, then the others: a verifier that tries keys in order finds it at once.</summary>
    private string[] Order(List<(string Kid, string X, string Y)> listed, long nowMs)
    {
        var first = _operatorKey?.Kid ?? SigningKeyAtDraft(nowMs);
        return [.. listed.Select(k => k.Kid).OrderBy(kid => kid == first ? 0 : 1)];
    }

    private string? SigningKeyAtDraft(long nowMs) =>
        _generated.Values.Where(k => k.SignsFrom <= nowMs && nowMs < k.SignsUntil).MaxBy(k => k.SignsFrom)?.Kid;

    private static Snapshot Build(List<SigningKey> signing, List<SigningKey> listed)
    {
        var points = listed.Select(k => (k.Kid, k.X, k.Y)).ToList();
        var kids = points.Select(p => p.Kid).ToArray();
        return new Snapshot([.. signing], kids, Serialize(kids, points));
    }

    /// <summary>{"keys":[{"kty":"EC","crv":"P-256","x","y","kid","use":"sig","alg":"ES256"}, …]} in the order of <paramref name="kids"/>.</summary>
    private static byte[] Serialize(string[] kids, List<(string Kid, string X, string Y)> points)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * (kids.Length + 1));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("keys");
            foreach (var kid in kids)
            {
                var (_, x, y) = points.First(p => p.Kid == kid);
                json.WriteStartObject();
                json.WriteString("kty", "EC");
                json.WriteString("crv", "P-256");
                json.WriteString("x", x);
                json.WriteString("y", y);
                json.WriteString("kid", kid);
                json.WriteString("use", "sig");
                json.WriteString("alg", "ES256");
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>What the ring holds at one time: the generated keys that may sign, the kids listed, the key set as JSON.</summary>
    private sealed record Snapshot(SigningKey[] Signing, string[] Kids, byte[] Jwks);
}
