using System.Buffers;
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

    // A day's MaxAge, in SetCookieHeaderValue's order and spelling.
    private const string LastingAttributes = "; max-age=86400; path=/; samesite=lax; httponly";
    private const string LastingSecureAttributes = "; max-age=86400; path=/; secure; samesite=lax; httponly";

    // What Uri.EscapeDataString leaves as it is (RFC 3986's unreserved characters).
    private static readonly SearchValues<char> s_unreserved = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~");

    private readonly string _cookieName = options.Value.CookieName;
    private readonly string _cookiePair = options.Value.CookieName + "=";
    private readonly string _placeCookiePair = PlaceCookieNameOf(options.Value.CookieName) + "=";
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
        Span<char> token = stackalloc char[TokenLength];
        NewToken(token);
        return (new string(token[..IdChars]), new string(token));
    }

    /// <summary>A new visitor's id; its token goes out as the cookie, written only here (a day's MaxAge: the room's TTLs decide its worth).</summary>
    public string IssueCookie(HttpContext context)
    {
        Span<char> token = stackalloc char[TokenLength];
        NewToken(token);
        AppendLasting(context, _cookieName, token);
        return new string(token[..IdChars]);
    }

    private void NewToken(Span<char> token)
    {
        var key = Key();
        Span<byte> id = stackalloc byte[IdBytes];
        NextId(id);
        Base64Url.EncodeToChars(id, token[..IdChars]);
        token[IdChars] = '.';
        Span<byte> mac = stackalloc byte[32];
        Sign(key, token[..IdChars], mac);
        Base64Url.EncodeToChars(mac[..MacBytes], token[(IdChars + 1)..]);
    }

    /// <summary>
    /// Sets one of the room's cookies (the token or the place): HttpOnly, Lax, the whole site, a day; Secure over HTTPS.
    /// The header ResponseCookies.Append writes for these options, built as one string (the name is a checked identifier;
    /// the value is escaped as it would escape it, which for the room's own values is never).
    /// </summary>
    private static void AppendLasting(HttpContext context, string name, ReadOnlySpan<char> value)
    {
        var attributes = context.Request.IsHttps ? LastingSecureAttributes : LastingAttributes;
        context.Response.Headers.Append(
            Microsoft.Net.Http.Headers.HeaderNames.SetCookie,
            value.ContainsAnyExcept(s_unreserved)
                ? string.Concat(name, "=", Uri.EscapeDataString(value), attributes)
                : string.Concat(name, "=", value, attributes));
    }

    /// <summary>
    /// The visitor id of a valid token; false for anything else, never an exception. Nothing the client
    /// sent is decoded: the MAC is recomputed over the 22 id characters and compared as text in constant time.
    /// </summary>
    public bool TryRead(string? token, out string visitorId)
    {
        visitorId = "";
        return token is not null && TryRead(token.AsSpan(), out visitorId);
    }

    private bool TryRead(ReadOnlySpan<char> token, out string visitorId)
    {
        visitorId = "";
        if (token.Length != TokenLength || token[IdChars] != '.')
        {
            return false;
        }

        if (_verified.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(token, out var known))
        {
            visitorId = known;
            return true;
        }

        var idChars = token[..IdChars];
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
        if (!CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(expected), MemoryMarshal.AsBytes(token[(IdChars + 1)..])))
        {
            return false;
        }

        visitorId = token[..IdChars].ToString();
        if (_verified.Count >= VerifiedCapacity)
        {
            _verified.Clear();
        }

        _verified.TryAdd(token.ToString(), visitorId);
        return true;
    }

    /// <summary>The visitor id carried by the request's WR_COOKIE_NAME cookie; false when there is none or it does not check out.</summary>
    public bool TryRead(HttpRequest request, out string visitorId)
    {
        ArgumentNullException.ThrowIfNull(request);
        return TryRead(RequestCookie.Value(request, _cookieName, _cookiePair), out visitorId);
    }

    /// <summary>The name of the place cookie: the visitor cookie's with <c>_place</c> after it.</summary>
    public string PlaceCookieName { get; } = PlaceCookieNameOf(options.Value.CookieName);

    /// <summary>The place cookie's name for a visitor cookie named <paramref name="cookieName"/> (WR_COOKIE_NAME).</summary>
    public static string PlaceCookieNameOf(string cookieName) => cookieName + "_place";

    /// <summary>
    /// Writes the place cookie of a waiter: <c>{room}.{order}.{shown}.{mac}</c>, mac the first 128 bits of
    /// HMAC-SHA256(key, "place:" + visitor id + ":" + the rest), base64url. It lets any instance answer the waiter's
    /// polls while it is far from the head (see <see cref="Queue.QueueSnapshots"/>); bound to the visitor, so it
    /// is worth nothing with another visitor's token. Only the waiter's own view depends on it: a forged one
    /// could at most show it a smaller number or send its polls to the store.
    /// </summary>
    public void IssuePlace(HttpContext context, string visitorId, string room, long order, long shown)
    {
        // room, two longs of at most 20 characters, three dots, the MAC: it always fits.
        var size = room.Length + 43 + IdChars;
        Span<char> cookie = size <= 256 ? stackalloc char[256] : new char[size];
        cookie.TryWrite(System.Globalization.CultureInfo.InvariantCulture, $"{room}.{order}.{shown}.", out var length);
        PlaceMac(visitorId, cookie[..(length - 1)], cookie.Slice(length, IdChars));
        AppendLasting(context, PlaceCookieName, cookie[..(length + IdChars)]);
    }

    /// <summary>Removes the place cookie the request carries (the visitor is no longer far back in line).</summary>
    public void ForgetPlace(HttpContext context)
    {
        if (context.Request.Cookies.ContainsKey(PlaceCookieName))
        {
            context.Response.Cookies.Delete(PlaceCookieName, new CookieOptions { Path = "/", Secure = context.Request.IsHttps, SameSite = SameSiteMode.Lax, HttpOnly = true });
        }
    }

    /// <summary>The order and last shown position of the visitor's place cookie for <paramref name="room"/>; false for anything else.</summary>
    public bool TryReadPlace(HttpRequest request, string visitorId, string room, out long order, out long shown)
    {
        ArgumentNullException.ThrowIfNull(request);
        order = shown = 0;
        var cookie = RequestCookie.Value(request, PlaceCookieName, _placeCookiePair);
        if (cookie.IsEmpty || cookie.Length > 128)
        {
            return false;
        }

        var macAt = cookie.LastIndexOf('.');
        var orderAt = cookie.IndexOf('.');
        var shownAt = macAt > 0 ? cookie[..macAt].LastIndexOf('.') : -1;
        if (orderAt <= 0 || shownAt <= orderAt || !cookie[..orderAt].SequenceEqual(room)
            || !long.TryParse(cookie[(orderAt + 1)..shownAt], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out order)
            || !long.TryParse(cookie[(shownAt + 1)..macAt], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out shown))
        {
            return false;
        }

        Span<char> expected = stackalloc char[IdChars];
        PlaceMac(visitorId, cookie[..macAt], expected);
        return CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(expected), MemoryMarshal.AsBytes(cookie[(macAt + 1)..]));
    }

    private void PlaceMac(string visitorId, ReadOnlySpan<char> value, Span<char> encoded) =>
        Base64Url.EncodeToChars(Derive("place", visitorId, value, stackalloc byte[32])[..MacBytes], encoded);

    /// <summary>A short, non-secret tag of a visitor for logs: never the token.</summary>
    public static string LogTag(string visitorId) => visitorId.Length > 8 ? visitorId[..8] : visitorId;

    /// <summary>The cookie key, for keys derived from it (the proof-of-work challenges'); only after <see cref="EnsureReadyAsync"/>.</summary>
    public byte[] CurrentKey() => Key();

    /// <summary>
    /// A stable 128-bit name (22 base64url characters) for <paramref name="value"/> under <paramref name="purpose"/>:
    /// HMAC-SHA256 with the cookie key over "purpose:value", so every instance derives the same one and it
    /// is never a token (a token's MAC covers the bare id, and ids hold no ':'). For the admission assertion's sub and jti.
    /// </summary>
    public string Pseudonym(string purpose, string value) =>
        Base64Url.EncodeToString(Derive(purpose, value, [], stackalloc byte[32])[..MacBytes]);

    // HMAC-SHA256(key, purpose + ":" + value, then ":" + suffix when there is one), the input encoded on the
    // stack when it is short (it always is for the place cookie and the pseudonyms): the hot path allocates nothing.
    private Span<byte> Derive(string purpose, string value, ReadOnlySpan<char> suffix, Span<byte> mac)
    {
        var length = Encoding.UTF8.GetMaxByteCount(purpose.Length + value.Length + suffix.Length + 2);
        byte[]? rented = null;
        Span<byte> data = length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(length));
        var written = Encoding.UTF8.GetBytes(purpose, data);
        data[written++] = (byte)':';
        written += Encoding.UTF8.GetBytes(value, data[written..]);
        if (!suffix.IsEmpty)
        {
            data[written++] = (byte)':';
            written += Encoding.UTF8.GetBytes(suffix, data[written..]);
        }

        Mac(Key(), data[..written], mac);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return mac;
    }

    private byte[] Key() => Volatile.Read(ref _key) ?? throw new InvalidOperationException("The cookie key is not loaded yet; call EnsureReadyAsync first.");

    private static void Sign(byte[] key, ReadOnlySpan<char> id, Span<byte> mac)
    {
        Span<byte> data = stackalloc byte[IdChars];
        var length = Encoding.ASCII.GetBytes(id, data);
        Mac(key, data[..length], mac);
    }

    // One HMAC and one buffer of random bytes per thread, reused: OpenSSL sets up a context for every
    // one-shot HMACSHA256.HashData (1.2 µs against 0.5 reused) and every RandomNumberGenerator call (0.8 µs).
    [ThreadStatic] private static IncrementalHash? t_hmac;
    [ThreadStatic] private static byte[]? t_hmacKey;
    [ThreadStatic] private static byte[]? t_random;
    [ThreadStatic] private static int t_randomUsed;

    private static void Mac(byte[] key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        var hmac = t_hmac;
        if (hmac is null || !ReferenceEquals(t_hmacKey, key))
        {
            hmac?.Dispose();
            t_hmac = hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            t_hmacKey = key;
        }

        hmac.AppendData(data);
        hmac.GetHashAndReset(mac);
    }

    // A visitor id is public (it travels in the token next to its MAC), so drawing ids from a buffer of
    // CSPRNG output filled 256 at a time gives away nothing one draw per id would keep.
    private static void NextId(Span<byte> id)
    {
        var random = t_random ??= new byte[IdBytes * 256];
        if (t_randomUsed is 0 || t_randomUsed >= random.Length)
        {
            RandomNumberGenerator.Fill(random);
            t_randomUsed = 0;
        }

        random.AsSpan(t_randomUsed, IdBytes).CopyTo(id);
        random.AsSpan(t_randomUsed, IdBytes).Clear();
        t_randomUsed += IdBytes;
    }
}
