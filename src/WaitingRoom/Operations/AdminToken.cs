using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace WaitingRoom.Operations;

/// <summary>
/// The admin API's bearer token (WR_ADMIN_TOKEN), compared by hash in constant time so neither its
/// content nor its length leaks through timing; <see cref="Id"/> names it in audit lines.
/// </summary>
internal sealed class AdminToken
{
    private readonly byte[] _hash;

    public AdminToken(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        Id = "token:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("wr-admin-token-id:" + token)))[..8];
    }

    /// <summary>A short, stable name of the token for audit lines (not derivable back to the token).</summary>
    public string Id { get; }

    /// <summary>True when the request carries exactly one <c>Authorization: Bearer &lt;token&gt;</c> with the right token.</summary>
    public bool Verify(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var values = request.Headers.Authorization;
        var header = values.Count == 1 ? values[0] : null;
        const string scheme = "Bearer ";
        var presented = header is not null && header.Length > scheme.Length && header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            ? header[scheme.Length..].Trim()
            : "";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        return CryptographicOperations.FixedTimeEquals(hash, _hash) && presented.Length > 0;
    }
}
