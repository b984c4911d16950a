using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace WaitingRoom.Queue;

/// <summary>
/// Checks a Redis server certificate against the certificates of WR_REDIS_TLS_CA instead of the
/// system's trust store (custom root trust): the chain must end at one of them and the name must
/// match, as with the system's store. Nothing else is trusted, so a private CA never means
/// "verification off".
/// </summary>
internal sealed partial class RedisCertificateValidator
{
    private readonly X509Certificate2Collection _roots;
    private readonly string _caFile;
    private readonly ILogger? _logger;
    private readonly Action<Exception>? _rejected;
    private string? _lastRejection;

    /// <param name="roots">The certificates of WR_REDIS_TLS_CA.</param>
    /// <param name="caFile">Its path, for messages.</param>
    /// <param name="logger">Where a refusal is explained, once per reason.</param>
    /// <param name="rejected">Told of every refusal (the start-up check names it even when the calls only time out).</param>
    public RedisCertificateValidator(X509Certificate2Collection roots, string caFile, ILogger? logger, Action<Exception>? rejected = null)
    {
        ArgumentNullException.ThrowIfNull(roots);
        _roots = roots;
        _caFile = caFile;
        _logger = logger;
        _rejected = rejected;
    }

    /// <summary>The <see cref="RemoteCertificateValidationCallback"/>: true only for a certificate that chains to WR_REDIS_TLS_CA and names the host.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var rejection = Check(certificate, chain, errors);
        if (rejection is not null)
        {
            _rejected?.Invoke(new System.Security.Authentication.AuthenticationException("The Redis server certificate was refused: " + rejection));
        }

        if (rejection is not null && _logger is not null && !string.Equals(Interlocked.Exchange(ref _lastRejection, rejection), rejection, StringComparison.Ordinal))
        {
            // Once per reason: the client tries again every second or so while it is refused.
            Log.Rejected(_logger, rejection, _caFile);
        }
        else if (rejection is null)
        {
            Interlocked.Exchange(ref _lastRejection, null);
        }

        return rejection is null;
    }

    private string? Check(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return "the server sent no certificate";
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return "the certificate does not name the host connected to (set WR_REDIS_TLS_HOST to the name it carries)";
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_roots);

        // A private CA rarely publishes revocation lists, and the system check does not look either.
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // Intermediate certificates the server sent along.
            custom.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var leaf = certificate as X509Certificate2;
        using var owned = leaf is null ? new X509Certificate2(certificate) : null;
        if (custom.Build(leaf ?? owned!))
        {
            return null;
        }

        var status = string.Join(", ", custom.ChainStatus.Select(s => s.Status.ToString()).Distinct());
        return $"its chain does not end at a certificate of WR_REDIS_TLS_CA ({status})";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.RedisCertificateRejected, Level = LogLevel.Error, EventName = nameof(EventIds.RedisCertificateRejected),
            Message = "TLS to Redis: the server certificate is refused: {Reason}. It must chain to a certificate of WR_REDIS_TLS_CA ({CaFile}).")]
        public static partial void Rejected(ILogger logger, string reason, string caFile);
    }
}
