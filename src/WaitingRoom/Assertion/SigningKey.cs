using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace WaitingRoom.Assertion;

/// <summary>One ES256 key the room can sign with: its kid (the RFC 7638 thumbprint), public point and the window it signs in (Unix ms).</summary>
internal sealed class SigningKey
{
    private SigningKey(ECDsa key, long signsFrom, long signsUntil)
    {
        (X, Y) = AdmissionKeySchedule.PublicPoint(key);
        Kid = AdmissionKeySchedule.Thumbprint(X, Y);
        Credentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = Kid }, SecurityAlgorithms.EcdsaSha256);
        SignsFrom = signsFrom;
        SignsUntil = signsUntil;
    }

    public string Kid { get; }

    public string X { get; }

    public string Y { get; }

    /// <summary>The library's signing credentials (ES256, with the kid in the header).</summary>
    public SigningCredentials Credentials { get; }

    public long SignsFrom { get; }

    public long SignsUntil { get; }

    /// <summary>The operator's key (WR_ADMISSION_KEY): it signs whenever this instance runs.</summary>
    public static SigningKey Operator(ECDsa key) => new(key, long.MinValue, long.MaxValue);

    /// <summary>A generated key from the shared document.</summary>
    public static SigningKey Generated(AdmissionKeySchedule.StoredKey stored)
    {
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(stored.Private!), out _);
        return new SigningKey(key, stored.SignsFrom, stored.SignsUntil);
    }
}
