using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// A private certificate authority made for one test (.NET's CertificateRequest, no external tool),
/// with a server certificate for 127.0.0.1 and localhost and a client certificate, all written
/// as PEM files in a temporary folder that <see cref="Dispose"/> deletes.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private TestCertificates(string folder) => Folder = folder;

    public string Folder { get; }

    /// <summary>The CA certificate (PEM): what WR_REDIS_TLS_CA points at to trust this CA.</summary>
    public string CaFile => Path.Combine(Folder, "ca.crt");

    public string ServerCertificateFile => Path.Combine(Folder, "server.crt");

    public string ServerKeyFile => Path.Combine(Folder, "server.key");

    public string ClientCertificateFile => Path.Combine(Folder, "client.crt");

    public string ClientKeyFile => Path.Combine(Folder, "client.key");

    /// <summary>The CA with its private key, for clients of the test's own that must trust it.</summary>
    public X509Certificate2 Authority { get; private set; } = null!;

    /// <summary>A new CA named <paramref name="name"/> and its server and client certificates.</summary>
    public static TestCertificates Create(string name = "WaitingRoom test CA")
    {
        var folder = Path.Combine(Path.GetTempPath(), "wr-tls-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var certificates = new TestCertificates(folder);
        var now = DateTimeOffset.UtcNow;

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={name}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        certificates.Authority = caRequest.CreateSelfSigned(now.AddHours(-1), now.AddDays(2));
        File.WriteAllText(certificates.CaFile, certificates.Authority.ExportCertificatePem());

        Issue(certificates.Authority, "CN=localhost", serverAuth: true, certificates.ServerCertificateFile, certificates.ServerKeyFile, now);
        Issue(certificates.Authority, "CN=waitingroom", serverAuth: false, certificates.ClientCertificateFile, certificates.ClientKeyFile, now);
        return certificates;
    }

    private static void Issue(X509Certificate2 authority, string subject, bool serverAuth, string certificateFile, string keyFile, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(authority, now.AddHours(-1), now.AddDays(1), serial);
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose()
    {
        Authority.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temporary folder.
        }
    }
}
