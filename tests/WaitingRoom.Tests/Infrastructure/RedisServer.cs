using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// A real redis-server for the whole test run: started once on a free loopback port with no
/// persistence, killed when the test process exits. <c>WR_TEST_REDIS=host:port</c> points the
/// tests at an existing server instead. Tests keep apart by using their own key prefix.
/// </summary>
public sealed class RedisServer
{
    private static readonly Lazy<RedisServer> s_shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly Process? _process;
    private readonly Lazy<ConnectionMultiplexer> _connection;

    private RedisServer(string host, int port, Process? process)
    {
        Host = host;
        Port = port;
        _process = process;
        _connection = new Lazy<ConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(EndPoint + ",allowAdmin=true"));
    }

    public static RedisServer Shared => s_shared.Value;

    public string Host { get; }

    public int Port { get; }

    public string EndPoint => $"{Host}:{Port}";

    /// <summary>A connection for tests to look into the store (admin commands allowed).</summary>
    public ConnectionMultiplexer Connection => _connection.Value;

    /// <summary>
    /// Store availability for tests of the store's rules (not of its deadlines, which the outage
    /// tests check): the product's half-second request deadline would turn a test process starved
    /// of CPU by its neighbours into a false outage.
    /// </summary>
    internal static WaitingRoom.Queue.StoreAvailability PatientAvailability() => new(TimeProvider.System, TimeSpan.FromSeconds(5));

    /// <summary>A key prefix no other test uses.</summary>
    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The settings a proxy instance needs to use this server with its own keys.</summary>
    public Dictionary<string, string?> Settings(string prefix) => new()
    {
        ["WR_REDIS_HOST"] = Host,
        ["WR_REDIS_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["WR_REDIS_KEY_PREFIX"] = prefix,
    };

    /// <summary>Sends one inline command and returns the raw reply (for INFO, CONFIG RESETSTAT and the like).</summary>
    public string Command(string command)
    {
        using var client = new TcpClient();
        client.Connect(Host, Port);
        using var stream = client.GetStream();
        var bytes = Encoding.ASCII.GetBytes(command + "\r\n");
        stream.Write(bytes);
        var buffer = new byte[1 << 16];
        var reply = new StringBuilder();
        stream.ReadTimeout = 5000;
        do
        {
            var read = stream.Read(buffer);
            if (read == 0)
            {
                break;
            }

            reply.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        while (!IsComplete(reply.ToString()));

        return reply.ToString();
    }

    private static bool IsComplete(string reply)
    {
        if (reply.Length == 0 || !reply.EndsWith("\r\n", StringComparison.Ordinal))
        {
            return false;
        }

        if (reply[0] != '$')
        {
            return true;
        }

        var header = reply.IndexOf("\r\n", StringComparison.Ordinal);
        var length = int.Parse(reply.AsSpan(1, header - 1), System.Globalization.CultureInfo.InvariantCulture);
        return length < 0 || reply.Length >= header + 2 + length + 2;
    }

    /// <summary>
    /// A redis-server of the caller's own, for tests that read server-wide statistics (INFO
    /// commandstats) and so must not share the server with tests running in parallel.
    /// Stopped by <see cref="Stop()"/> or when the test process exits.
    /// </summary>
    public static RedisServer StartPrivate() => StartLocal(FreePort());

    /// <summary>Starts a private server again on the port of one that was stopped (an outage that ends).</summary>
    public RedisServer Restart() => StartLocal(Port);

    /// <summary>Stops a server started by <see cref="StartPrivate"/>.</summary>
    public void Stop()
    {
        if (_process is not null)
        {
            Stop(_process);
        }
    }

    private static RedisServer Start()
    {
        var external = Environment.GetEnvironmentVariable("WR_TEST_REDIS");
        if (!string.IsNullOrWhiteSpace(external))
        {
            var parts = external.Split(':');
            return new RedisServer(parts[0], parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : 6379, null);
        }

        return StartLocal(FreePort());
    }

    private static RedisServer StartLocal(int port)
    {
        var info = new ProcessStartInfo("redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxclients", "10000" })
        {
            info.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("redis-server is not installed: run scripts/test.sh (it installs it) or set WR_TEST_REDIS=host:port.", ex);
        }

        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(process);

        var server = new RedisServer("127.0.0.1", port, process);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (server.Command("PING").StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return server;
                }
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(15) && !process.HasExited)
            {
            }

            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new InvalidOperationException($"redis-server on port {port} did not answer PING.");
            }

            Thread.Sleep(50);
        }
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
