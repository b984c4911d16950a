using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using WaitingRoom.Configuration;

namespace WaitingRoom.Queue;

/// <summary>
/// Asks Redis itself, on a short connection of its own, whether it takes the room's credentials:
/// AUTH with WR_REDIS_USER / WR_REDIS_PASS when a password is set, then PING; the first error Redis
/// answers (NOAUTH, WRONGPASS) is returned. The client's failure does not always carry that answer
/// (a handshake cut short on a loaded machine reads "UnableToConnect (0-read)"), so the start-up
/// check asks here when the client's failure names nothing.
/// </summary>
/// <remarks>
/// Hand-written RESP (two commands, one-line replies): StackExchange.Redis sends nothing outside its
/// own connection, whose handshake is what failed to say why.
/// </remarks>
internal static class RedisAuthProbe
{
    /// <summary>How long one probe may take, connect, TLS and replies included.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The first error line Redis answered (without its '-'), or null when it took the credentials,
    /// did not answer within <see cref="Timeout"/>, or could not be reached.
    /// </summary>
    public static async Task<string?> AskAsync(WaitingRoomOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);

        // Sentinels are not the server that holds the keys, and their password may be another: nothing to ask them.
        if (options.RedisSentinel is not null)
        {
            return null;
        }

        var endpoint = RedisConnectionOptions.Endpoints(options)[0];
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(endpoint.Host, endpoint.Port, deadline.Token);
            await using var stream = options.RedisSsl
                ? await TlsAsync(options, endpoint.Host, tcp.GetStream(), deadline.Token)
                : tcp.GetStream();
            string[][] commands = options.RedisPassword is not { } password ? [["PING"]]
                : options.RedisUser is { } user ? [["AUTH", user, password], ["PING"]]
                : [["AUTH", password], ["PING"]];
            await stream.WriteAsync(Encode(commands), deadline.Token);
            return FirstError(await ReadLinesAsync(stream, commands.Length, deadline.Token));
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Unreachable, refused TLS or silent: the client's own failure and the outage path say so.
            return null;
        }
    }

    /// <summary>TLS with the client's rules: WR_REDIS_TLS_CA (else the system's store), the name of WR_REDIS_TLS_HOST, WR_REDIS_TLS_CERT.</summary>
    private static async Task<Stream> TlsAsync(WaitingRoomOptions options, string host, NetworkStream network, CancellationToken cancellationToken)
    {
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = options.RedisTlsHost ?? host,
                    RemoteCertificateValidationCallback = options.RedisTlsRoots is { } roots
                        ? new RedisCertificateValidator(roots, options.RedisTlsCaFile!, logger: null).Validate
                        : null,
                    ClientCertificates = options.RedisTlsClientCertificate is { } client ? new X509CertificateCollection { client } : null,
                },
                cancellationToken);
            return tls;
        }
        catch
        {
            await tls.DisposeAsync();
            throw;
        }
    }

    /// <summary>Each command as a RESP array of bulk strings.</summary>
    private static byte[] Encode(string[][] commands)
    {
        var request = new StringBuilder();
        foreach (var command in commands)
        {
            request.Append('*').Append(command.Length).Append("\r\n");
            foreach (var argument in command)
            {
                request.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
            }
        }

        return Encoding.UTF8.GetBytes(request.ToString());
    }

    /// <summary>Up to <paramref name="count"/> reply lines (a reply to AUTH or PING is one line), or fewer when Redis closes first.</summary>
    private static async Task<string[]> ReadLinesAsync(Stream stream, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                break;
            }

            length += read;
            if (buffer.AsSpan(0, length).Count("\r\n"u8) >= count)
            {
                break;
            }
        }

        return Encoding.UTF8.GetString(buffer, 0, length).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
    }

    private static string? FirstError(string[] lines) =>
        lines.FirstOrDefault(l => l.StartsWith('-')) is { } error ? error[1..] : null;
}
