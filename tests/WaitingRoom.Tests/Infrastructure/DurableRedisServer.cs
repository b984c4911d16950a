using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// A private redis-server that keeps every write (<c>--appendonly yes --appendfsync always</c> in a
/// temporary directory of its own), for fault tests: <see cref="Kill"/> (SIGKILL, no shutdown save),
/// <see cref="Pause"/> / <see cref="Resume"/> (SIGSTOP / SIGCONT: a server that hangs instead of
/// dying) and <see cref="Restart"/> (the same port, the same data). Disposing kills the server and
/// deletes the directory.
/// </summary>
public sealed class DurableRedisServer : IDisposable
{
    private readonly string _directory;
    private Process _process;
    private ConnectionMultiplexer? _connection;

    private DurableRedisServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
        _process = StartProcess(directory, port);
    }

    public const string Host = "127.0.0.1";

    public int Port { get; }

    /// <summary>The redis-server's process id (to signal it).</summary>
    public int ProcessId => _process.Id;

    /// <summary>Starts a server on a free loopback port and waits for PONG.</summary>
    public static DurableRedisServer Start()
    {
        var directory = Path.Combine(Path.GetTempPath(), "wr-redis-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var server = new DurableRedisServer(directory, FreePort());
        server.WaitForPong();
        return server;
    }

    /// <summary>The settings a proxy instance needs to use this server with its own keys.</summary>
    public Dictionary<string, string?> Settings(string prefix) => new()
    {
        ["WR_REDIS_HOST"] = Host,
        ["WR_REDIS_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
        ["WR_REDIS_KEY_PREFIX"] = prefix,
    };

    /// <summary>A connection for the test to look into the store (only while the server runs).</summary>
    public IDatabase Database()
    {
        _connection ??= ConnectionMultiplexer.Connect($"{Host}:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=2000");
        return _connection.GetDatabase();
    }

    /// <summary>SIGKILL: the server dies at once, without a shutdown save; the append-only file keeps every write.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
    }

    /// <summary>SIGSTOP: the server stops answering but keeps its connections open.</summary>
    public void Pause() => ProcessSignals.Send(_process.Id, ProcessSignals.Stop);

    /// <summary>SIGCONT: a paused server answers again.</summary>
    public void Resume() => ProcessSignals.Send(_process.Id, ProcessSignals.Continue);

    /// <summary>Starts the server again on its port with its data (after <see cref="Kill"/>) and waits for PONG.</summary>
    public void Restart()
    {
        Kill();
        _process.Dispose();
        _process = StartProcess(_directory, Port);
        WaitForPong();
    }

    /// <summary>Sends one inline command on a fresh connection and returns the raw reply.</summary>
    public string Command(string command)
    {
        using var client = new TcpClient();
        client.Connect(Host, Port);
        using var stream = client.GetStream();
        stream.ReadTimeout = 5000;
        stream.Write(Encoding.ASCII.GetBytes(command + "\r\n"));
        var buffer = new byte[1 << 16];
        var read = stream.Read(buffer);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                // SIGKILL, which also ends a paused server.
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        _connection?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static Process StartProcess(string directory, int port) => RedisServerProcess.Start(
        directory,
        [
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
            "--appendfsync", "always", "--dir", directory, "--maxclients", "10000",
        ]);

    private void WaitForPong()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (Command("PING").StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
            }

            if (_process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new InvalidOperationException($"redis-server on port {Port} did not answer PING.");
            }

            Thread.Sleep(20);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
