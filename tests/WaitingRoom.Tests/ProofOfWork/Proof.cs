using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace WaitingRoom.Tests.ProofOfWork;

/// <summary>The client side of WR_POW's public protocol, written from the README alone (not the product's code).</summary>
internal static class Proof
{
    /// <summary>The WR-PoW header value: <c>{challenge}.{nonce}</c> whose SHA-256 has at least <paramref name="difficulty"/> leading zero bits.</summary>
    public static string Solve(string challenge, int difficulty)
    {
        for (long nonce = 0; ; nonce++)
        {
            var text = $"{challenge}.{nonce}";
            if (ZeroBits(text) >= difficulty)
            {
                return text;
            }
        }
    }

    /// <summary>A well-formed header value whose hash falls short of <paramref name="difficulty"/>.</summary>
    public static string Unsolved(string challenge, int difficulty)
    {
        for (long nonce = 0; ; nonce++)
        {
            var text = $"{challenge}.{nonce}";
            if (ZeroBits(text) < difficulty)
            {
                return text;
            }
        }
    }

    public static int ZeroBits(string text)
    {
        var bits = 0;
        foreach (var b in SHA256.HashData(Encoding.UTF8.GetBytes(text)))
        {
            if (b != 0)
            {
                return bits + BitOperations.LeadingZeroCount((uint)b) - 24;
            }

            bits += 8;
        }

        return bits;
    }
}
