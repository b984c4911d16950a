using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;

namespace WaitingRoom.Admission;

/// <summary>
/// Issues and checks <c>wr_token</c> values: <c>{id}.{mac}</c>, id 128 random bits, mac the first 128
/// bits of HMAC-SHA256(key, id), both base64url; anything that does not check out is no token, never an
/// error. The key is WR_SECRET, else a random one created once and shared through the store.
/// </summary>
internal sealed class VisitorTokenSigner(IOptions<WaitingRoomOptions> options, IWaitingRoomStore store)
{
    private const int IdBytes = 16;
    private const int MacBytes = 16;
    private const int IdChars = 22;

    /// <summary>Length of a well-formed token: 22 + 1 + 22.</summary>
    public const int TokenLength = IdChars + 1 + IdChars;

    /// <summary>Tokens remembered as checked at most; when full, the memory starts again.</summary>
    internal const int VerifiedCapacity = 100_000;

    private readonly string _cookieName = options.Value.CookieName;
    private readonly Lock _lock = new();
    private byte[]? _key = options.Value.Secret is { } secret ? Encoding.UTF8.GetBytes(secret) : null;
    private Task<byte[]>? _loading;

    // Tokens that checked out, by exact text, so an active visitor's requests skip the HMAC. Only a
    // checked token is added (the key never changes once loaded), and the lookup hashes the whole text
    // with the runtime's randomised hash first: it tells an attacker nothing a rejection does not.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _verified = new(StringComparer.Ordinal);

    /// <summary>The key is at hand: <see cref="TryRead"/> and <see cref="Issue"/> can run without the store.</summary>
    public bool IsReady => Volatile.Read(ref _key) is not null;

    /// <summary>Loads the shared key from the store when WR_SECRET is unset; a failure is retried on the next call.</summary>
    /// <exception cref="StoreUnavailableException">The store cannot be reached.</exception>
    public Task EnsureReadyAsync(CancellationToken cancellationToken)
    {
        if (IsReady)
        {
            return Task.CompletedTask;
        }

        Task<byte[]> loading;
        lock (_lock)
        {
            if (_loading is null || _loading.IsFaulted || _loading.IsCanceled)
            {
                _loading = LoadAsync();
            }

            loading = _loading;
        }

        return loading.WaitAsync(cancellationToken);
    }

    private async Task<byte[]> LoadAsync()
    {
        var candidate = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var secret = await store.GetOrCreateSecretAsync(candidate, CancellationToken.None);
        var key = Encoding.UTF8.GetBytes(secret);
        Volatile.Write(ref _key, key);
        return key;
    }

    /// <summary>A new visitor: its id (stored) and token (the cookie value).</summary>
    public (string VisitorId, string Token) Issue()
    {
        var key = Key();
        Span<byte> id = stackalloc byte[IdBytes];
        RandomNumberGenerator.Fill(id);
        Span<char> token = stackalloc char[TokenLength];
        Base64Url.EncodeToChars(id, token[..IdChars]);
        token[IdChars] = '.';
        Span<byte> mac = stackalloc byte[32];
        Sign(key, token[..IdChars], mac);
        Base64Url.EncodeToChars(mac[..MacBytes], token[(IdChars + 1)..]);
        return (new string(token[..IdChars]), new string(token));
    }

    /// <summary>A new visitor's id; its token goes out as the cookie, written only here (a day's MaxAge: the room's TTLs decide its worth).</summary>
    public string IssueCookie(HttpContext context)
    {
        var (visitorId, token) = Issue();
        context.Response.Cookies.Append(_cookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            Path = "/",
            MaxAge = TimeSpan.FromDays(1),
            IsEssential = true,
        });
        return visitorId;
    }

    /// <summary>
    /// The visitor id of a valid token; false for anything else, never an exception. Nothing the client
    /// sent is decoded: the MAC is recomputed over the 22 id characters and compared as text in constant time.
    /// </summary>
    public bool TryRead(string? token, out string visitorId)
    {
        visitorId = "";
        if (token is null || token.Length != TokenLength || token[IdChars] != '.')
        {
            return false;
        }

        if (_verified.TryGetValue(token, out var known))
        {
            visitorId = known;
            return true;
        }

        var idChars = token.AsSpan(0, IdChars);
        foreach (var c in idChars)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
            {
                return false;
            }
        }

        Span<byte> mac = stackalloc byte[32];
        Sign(Key(), idChars, mac);
        Span<char> expected = stackalloc char[IdChars];
        Base64Url.EncodeToChars(mac[..MacBytes], expected);
        if (!CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(expected), MemoryMarshal.AsBytes(token.AsSpan(IdChars + 1))))
        {
            return false;
        }

        visitorId = token[..IdChars];
        if (_verified.Count >= VerifiedCapacity)
        {
            _verified.Clear();
        }

        _verified.TryAdd(token, visitorId);
        return true;
    }

    /// <summary>The visitor id carried by the request's WR_COOKIE_NAME cookie; false when there is none or it does not check out.</summary>
    public bool TryRead(HttpRequest request, out string visitorId) =>
        TryRead(request.Cookies[_cookieName], out visitorId);

    /// <summary>A short, non-secret tag of a visitor for logs: never the token.</summary>
    public static string LogTag(string visitorId) => visitorId.Length > 8 ? visitorId[..8] : visitorId;

    /// <summary>The cookie key, for keys derived from it (the proof-of-work challenges'); only after <see cref="EnsureReadyAsync"/>.</summary>
    public byte[] CurrentKey() => Key();

    /// <summary>
    /// A stable 128-bit name (22 base64url characters) for <paramref name="value"/> under <paramref name="purpose"/>:
    /// HMAC-SHA256 with the cookie key over "purpose:value", so every instance derives the same one and it
    /// is never a token (a token's MAC covers the bare id, and ids hold no ':'). For the admission assertion's sub and jti.
    /// </summary>
    public string Pseudonym(string purpose, string value)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(Key(), Encoding.UTF8.GetBytes(purpose + ":" + value), mac);
        return Base64Url.EncodeToString(mac[..MacBytes]);
    }

    private byte[] Key() => Volatile.Read(ref _key) ?? throw new InvalidOperationException("The cookie key is not loaded yet; call EnsureReadyAsync first.");

    private static void Sign(byte[] key, ReadOnlySpan<char> id, Span<byte> mac)
    {
        Span<byte> data = stackalloc byte[IdChars];
        var length = Encoding.ASCII.GetBytes(id, data);
        HMACSHA256.HashData(key, data[..length], mac);
    }
}
