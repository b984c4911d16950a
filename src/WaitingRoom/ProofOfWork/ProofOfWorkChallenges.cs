using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace WaitingRoom.ProofOfWork;

/// <summary>
/// Issues and checks proof-of-work challenges without storing anything: a challenge is
/// <c>{window}-{difficulty}-{mac}</c>, the MAC the first 128 bits of HMAC-SHA256 over the room, the
/// visitor id, the window and the difficulty (base64url), under a key derived from the cookie key.
/// So a challenge serves one visitor in one room, cannot be made in advance (the window is in the
/// MAC) and carries its own difficulty; it is accepted in its window and the next one. Checking a
/// solution costs one HMAC and one SHA-256.
/// </summary>
internal sealed class ProofOfWorkChallenges
{
    /// <summary>Length of one time window: a challenge is accepted for one to two of them.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    /// <summary>
    /// WR_POW_DIFFICULTY's default, measured (bench/Tool pow): headless Chromium on the reference
    /// machine solves it in about a second or less (see README, "Proof of work").
    /// </summary>
    public const int DefaultDifficulty = 19;

    /// <summary>The highest difficulty a challenge may carry (WR_POW_DIFFICULTY's upper bound).</summary>
    public const int MaxDifficulty = 32;

    /// <summary>Longest header accepted: a challenge (at most 19 + 1 + 2 + 1 + 22 characters), '.', a nonce of at most 20 digits.</summary>
    internal const int MaxProofLength = 70;

    private const int MacBytes = 16;
    private const int MacChars = 22;
    private const int MaxNonceDigits = 20;

    private readonly Func<byte[]> _key;
    private readonly TimeProvider _time;
    private byte[]? _derived;

    /// <param name="cookieKey">The cookie's HMAC key (loaded before the first call); the challenge key is derived from it.</param>
    /// <param name="time">The clock of the windows.</param>
    public ProofOfWorkChallenges(Func<byte[]> cookieKey, TimeProvider time)
    {
        _key = cookieKey;
        _time = time;
    }

    /// <summary>A fresh challenge for <paramref name="visitorId"/> in <paramref name="room"/> at <paramref name="difficulty"/> bits.</summary>
    public ProofOfWorkChallenge Issue(string room, string visitorId, int difficulty)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(difficulty, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(difficulty, MaxDifficulty);
        var window = CurrentWindow();
        var text = string.Create(CultureInfo.InvariantCulture, $"{window}-{difficulty}-{Mac(room, visitorId, window, difficulty)}");
        return new ProofOfWorkChallenge(text, difficulty, DateTimeOffset.FromUnixTimeSeconds((window + 2) * (long)Window.TotalSeconds));
    }

    /// <summary>
    /// Checks <paramref name="proof"/> (<c>{challenge}.{nonce}</c>, the WR-PoW header) for this visitor
    /// and room against the difficulty in force, <paramref name="required"/>; never throws.
    /// </summary>
    public ProofCheck Check(string? proof, string room, string visitorId, int required)
    {
        if (proof is null)
        {
            return ProofCheck.Missing;
        }

        var dot = proof.LastIndexOf('.');
        if (proof.Length > MaxProofLength || dot < 0 || !IsDigits(proof.AsSpan(dot + 1), MaxNonceDigits)
            || !TryParse(proof.AsSpan(0, dot), out var window, out var difficulty, out var mac))
        {
            return ProofCheck.Malformed;
        }

        var current = CurrentWindow();
        if (window != current && window != current - 1)
        {
            return ProofCheck.Stale;
        }

        if (difficulty < required)
        {
            return ProofCheck.TooEasy;
        }

        Span<char> expected = stackalloc char[MacChars];
        WriteMac(room, visitorId, window, difficulty, expected);
        if (!CryptographicOperations.FixedTimeEquals(
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(expected),
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(mac)))
        {
            return ProofCheck.Foreign;
        }

        return LeadingZeroBits(proof) >= difficulty ? ProofCheck.Valid : ProofCheck.Unsolved;
    }

    /// <summary>Leading zero bits of SHA-256 over the UTF-8 bytes of <paramref name="text"/> (at most 64 counted).</summary>
    public static int LeadingZeroBits(string text)
    {
        Span<byte> bytes = stackalloc byte[MaxProofLength * 3];
        var length = Encoding.UTF8.GetBytes(text.AsSpan(0, Math.Min(text.Length, MaxProofLength)), bytes);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes[..length], hash);
        return BitOperations.LeadingZeroCount(BinaryPrimitives.ReadUInt64BigEndian(hash));
    }

    private long CurrentWindow() => _time.GetUtcNow().ToUnixTimeSeconds() / (long)Window.TotalSeconds;

    private static bool IsDigits(ReadOnlySpan<char> text, int maxLength)
    {
        if (text.Length == 0 || text.Length > maxLength)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Splits <c>{window}-{difficulty}-{mac}</c>; false for any other shape.</summary>
    private static bool TryParse(ReadOnlySpan<char> challenge, out long window, out int difficulty, out ReadOnlySpan<char> mac)
    {
        window = 0;
        difficulty = 0;
        mac = default;
        var first = challenge.IndexOf('-');
        if (first < 1 || first > 19 || !IsDigits(challenge[..first], 19))
        {
            return false;
        }

        var rest = challenge[(first + 1)..];
        var second = rest.IndexOf('-');
        if (second < 1 || !IsDigits(rest[..second], 2) || rest.Length - second - 1 != MacChars)
        {
            return false;
        }

        mac = rest[(second + 1)..];
        return long.TryParse(challenge[..first], NumberStyles.None, CultureInfo.InvariantCulture, out window)
            && int.TryParse(rest[..second], NumberStyles.None, CultureInfo.InvariantCulture, out difficulty)
            && difficulty is >= 1 and <= MaxDifficulty;
    }

    private string Mac(string room, string visitorId, long window, int difficulty)
    {
        Span<char> mac = stackalloc char[MacChars];
        WriteMac(room, visitorId, window, difficulty, mac);
        return new string(mac);
    }

    private void WriteMac(string room, string visitorId, long window, int difficulty, Span<char> destination)
    {
        var data = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"pow1\n{room}\n{visitorId}\n{window}\n{difficulty}"));
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(Key(), data, mac);
        Base64Url.EncodeToChars(mac[..MacBytes], destination);
    }

    /// <summary>HKDF of the cookie key, so one secret serves both MACs and neither can stand in for the other.</summary>
    private byte[] Key() =>
        Volatile.Read(ref _derived) ?? (_derived = HKDF.DeriveKey(HashAlgorithmName.SHA256, _key(), 32, info: "WaitingRoom proof of work v1"u8.ToArray()));
}
