using System.Security.Cryptography;
using System.Text;

namespace WaitingRoom.Codes;

/// <summary>
/// What an access code looks like: <c>&lt;id&gt;-&lt;secret&gt;</c>, 10 + 26 lower-case base32 characters (50 random bits
/// of id, 130 of secret), URL-safe and easy to paste. The id finds the record in one step; only the SHA-256 of
/// the room and the whole code is stored.
/// </summary>
/// <remarks>
/// A plain SHA-256, not an HMAC with WR_SECRET: 130 random bits cannot be found from their hash, and codes then
/// survive a change of the cookie secret.
/// </remarks>
internal static class AccessCodeFormat
{
    /// <summary>The query parameter a visitor redeems a code with.</summary>
    public const string QueryName = "wr_code";

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public const int IdLength = 10;

    private const int SecretLength = 26;

    public const int Length = IdLength + 1 + SecretLength;

    /// <summary>A new code and its id, from the system's cryptographic generator.</summary>
    public static (string Id, string Code) Create()
    {
        var id = RandomNumberGenerator.GetString(Alphabet, IdLength);
        return (id, id + "-" + RandomNumberGenerator.GetString(Alphabet, SecretLength));
    }

    /// <summary>True when <paramref name="id"/> could be a code's id (the admin API's path parameter).</summary>
    public static bool IsId(string? id) => id is { Length: IdLength } && id.All(c => Alphabet.Contains(c, StringComparison.Ordinal));

    /// <summary>The id and the normalised code of what a visitor sent; false for anything that is not a code's shape (no lookup is needed).</summary>
    public static bool TryParse(string? text, out string id, out string code)
    {
        id = code = "";
        var trimmed = text?.Trim();
        if (trimmed is not { Length: Length } || trimmed[IdLength] != '-')
        {
            return false;
        }

        var lower = trimmed.ToLowerInvariant();
        for (var i = 0; i < lower.Length; i++)
        {
            if (i != IdLength && !Alphabet.Contains(lower[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        id = lower[..IdLength];
        code = lower;
        return true;
    }

    /// <summary>The stored hash of a room's code: hex SHA-256 of "room\ncode".</summary>
    public static string Hash(string room, string code) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(room + "\n" + code)));
}
