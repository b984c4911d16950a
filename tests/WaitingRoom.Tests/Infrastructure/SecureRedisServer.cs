using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// A redis-server of one test with its security switched on: a password (<c>--requirepass</c>),
/// ACL users (<c>--user</c> lines), TLS with a test CA (<see cref="TestCertificates"/>), or all of
/// them. Every server also has a user <see cref="AdminUser"/> with every right, through which the
/// test looks into the store (<see cref="Command"/>), whatever the <c>default</c> user may do.
/// Killed by <see cref="Dispose"/> (and when the test process exits).
/// </summary>
internal sealed class SecureRedisServer : IDisposable
{
    /// <summary>The test's own ACL user with every right.</summary>
    public const string AdminUser = "wrtestadmin";

    private readonly Process _process;
    private readonly string _adminPassword;
    private readonly TestCertificates? _tls;
    private readonly StringBuilder _output = new();

    private SecureRedisServer(Process process, int port, int? tlsPort, string adminPassword, TestCertificates? tls)
    {
        _process = process;
        Port = port;
        TlsPort = tlsPort;
        _adminPassword = adminPassword;
        _tls = tls;
    }

    public string Host { get; } = "127.0.0.1";

    /// <summary>The plain TCP port; 0 when the server speaks TLS only.</summary>
    public int Port { get; }

    /// <summary>The TLS port, when the server has one.</summary>
    public int? TlsPort { get; }

    /// <summary>What redis-server wrote (for a failing test's message).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts redis-server. <paramref name="arguments"/> are added as they are (e.g. <c>--requirepass</c>,
    /// <c>--user</c> lines). With <paramref name="tls"/>, a TLS port serves the server certificate of that CA;
    /// <paramref name="plainPort"/> false leaves TLS as the only way in; <paramref name="clientCertificates"/>
    /// makes Redis require a client certificate of that CA.
    /// </summary>
    public static SecureRedisServer Start(IEnumerable<string> arguments, TestCertificates? tls = null, bool plainPort = true, bool clientCertificates = false)
    {
        var adminPassword = "admin-" + Guid.NewGuid().ToString("N");
        var port = plainPort ? FreePort() : 0;
        int? tlsPort = tls is null ? null : FreePort();
        var all = new List<string>
        {
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--user", AdminUser, "on", ">" + adminPassword, "~*", "&*", "+@all",
        };
        if (tls is not null)
        {
            all.AddRange([
                "--tls-port", tlsPort!.Value.ToString(CultureInfo.InvariantCulture),
                "--tls-cert-file", tls.ServerCertificateFile, "--tls-key-file", tls.ServerKeyFile, "--tls-ca-cert-file", tls.CaFile,
                "--tls-auth-clients", clientCertificates ? "yes" : "no",
            ]);
        }

        all.AddRange(arguments);
        var info = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in all)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        var server = new SecureRedisServer(process, port, tlsPort, adminPassword, tls);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();

        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (server.Command("PING") == "PONG")
                {
                    return server;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException && clock.Elapsed < TimeSpan.FromSeconds(15) && !process.HasExited)
            {
            }

            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(15))
            {
                server.Dispose();
                throw new InvalidOperationException($"redis-server did not answer PING: {server.Output}");
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>One command as <see cref="AdminUser"/> (database 0); the reply as text (see <see cref="CommandAs"/>).</summary>
    public string Command(params string[] command) => CommandAs(AdminUser, _adminPassword, 0, command);

    /// <summary>One command as <see cref="AdminUser"/> in database <paramref name="database"/>.</summary>
    public string CommandIn(int database, params string[] command) => CommandAs(AdminUser, _adminPassword, database, command);

    /// <summary>
    /// One command as <paramref name="user"/> (with AUTH <paramref name="password"/>) in database
    /// <paramref name="database"/>, over TLS when the server has no plain port. The reply as text:
    /// a simple string or bulk as it is, an error as "-ERROR ...", an integer as digits, an array
    /// one element per line, a nil as "(nil)".
    /// </summary>
    public string CommandAs(string user, string password, int database, params string[] command)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, Port != 0 ? Port : TlsPort!.Value);
        using Stream stream = Port != 0 ? client.GetStream() : Secure(client.GetStream());
        stream.ReadTimeout = 5000;
        var requests = new List<string[]> { new[] { "AUTH", user, password } };
        if (database != 0)
        {
            requests.Add(["SELECT", database.ToString(CultureInfo.InvariantCulture)]);
        }

        requests.Add(command);
        var bytes = new StringBuilder();
        foreach (var request in requests)
        {
            bytes.Append('*').Append(request.Length).Append("\r\n");
            foreach (var part in request)
            {
                bytes.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
            }
        }

        stream.Write(Encoding.UTF8.GetBytes(bytes.ToString()));
        stream.Flush();
        var reader = new RespReader(stream);
        string reply = "";
        for (var i = 0; i < requests.Count; i++)
        {
            reply = reader.Read();
            if (i < requests.Count - 1 && reply.StartsWith('-'))
            {
                throw new InvalidOperationException($"{requests[i][0]} failed: {reply}");
            }
        }

        return reply;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended by itself.
        }
    }

    private SslStream Secure(NetworkStream stream)
    {
        var ssl = new SslStream(stream, false, (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_tls!.Authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return certificate is X509Certificate2 leaf && chain.Build(leaf);
        });
        var options = new SslClientAuthenticationOptions { TargetHost = "localhost" };
        if (_tls is not null && File.Exists(_tls.ClientCertificateFile))
        {
            options.ClientCertificates = [X509Certificate2.CreateFromPemFile(_tls.ClientCertificateFile, _tls.ClientKeyFile)];
        }

        ssl.AuthenticateAsClient(options);
        return ssl;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Reads RESP2 replies.</summary>
    private sealed class RespReader(Stream stream)
    {
        public string Read()
        {
            var line = Line();
            switch (line[0])
            {
                case '+':
                case ':':
                    return line[1..];
                case '-':
                    return line;
                case '$':
                    var length = int.Parse(line.AsSpan(1), CultureInfo.InvariantCulture);
                    if (length < 0)
                    {
                        return "(nil)";
                    }

                    var data = new byte[length + 2];
                    var read = 0;
                    while (read < data.Length)
                    {
                        var n = stream.Read(data, read, data.Length - read);
                        if (n == 0)
                        {
                            throw new IOException("Redis closed the connection.");
                        }

                        read += n;
                    }

                    return Encoding.UTF8.GetString(data, 0, length);
                case '*':
                    var count = int.Parse(line.AsSpan(1), CultureInfo.InvariantCulture);
                    return count < 0 ? "(nil)" : string.Join('\n', Enumerable.Range(0, count).Select(_ => Read()));
                default:
                    throw new IOException($"Not a RESP reply: {line}");
            }
        }

        private string Line()
        {
            var bytes = new List<byte>();
            while (true)
            {
                var b = stream.ReadByte();
                if (b < 0)
                {
                    throw new IOException("Redis closed the connection.");
                }

                if (b == '\n' && bytes.Count > 0 && bytes[^1] == '\r')
                {
                    return Encoding.UTF8.GetString(bytes.ToArray(), 0, bytes.Count - 1);
                }

                bytes.Add((byte)b);
            }
        }
    }
}
