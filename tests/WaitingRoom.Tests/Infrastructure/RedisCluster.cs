using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// A real 3-master Redis Cluster on loopback, started by the test: three
/// <c>redis-server --cluster-enabled yes</c> nodes on free ports with their node files in a
/// temporary folder, joined by <c>redis-cli --cluster create … --cluster-replicas 0</c>, ready
/// once every node reports <c>cluster_state:ok</c>. Disposing kills every node and deletes the folder.
/// </summary>
public sealed class RedisCluster : IDisposable
{
    private static readonly TimeSpan s_startLimit = TimeSpan.FromSeconds(30);
    private readonly List<Process> _nodes = [];
    private readonly string _directory;
    private ConnectionMultiplexer? _connection;

    private RedisCluster(string directory)
    {
        _directory = directory;
    }

    /// <summary>The nodes' ports, in the order they were given to <c>--cluster create</c>.</summary>
    public IReadOnlyList<int> Ports { get; private set; } = [];

    /// <summary>Every node as WR_REDIS_HOST takes them: <c>127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3</c>.</summary>
    public string SeedList => string.Join(",", Ports.Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A cluster-aware connection for tests to look into the store.</summary>
    public ConnectionMultiplexer Connection => _connection ??= ConnectionMultiplexer.Connect(SeedList + ",allowAdmin=true,connectTimeout=5000");

    public static RedisCluster Start(int masters = 3)
    {
        var directory = Path.Combine(Path.GetTempPath(), "wr-cluster-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var cluster = new RedisCluster(directory);
        try
        {
            cluster.StartNodes(masters);
            cluster.Create();
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>Runs redis-cli against one node and returns what it printed (for CLUSTER KEYSLOT, CLUSTER NODES, CLUSTER INFO…).</summary>
    public static string Cli(int port, params string[] arguments) => Run("redis-cli", ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. arguments]);

    /// <summary>The slot of a hash tag, asked of the cluster (CLUSTER KEYSLOT).</summary>
    public int KeySlot(string key) => int.Parse(Cli(Ports[0], "cluster", "keyslot", key).Trim(), CultureInfo.InvariantCulture);

    /// <summary>The port of the master that serves <paramref name="slot"/>, read from CLUSTER NODES.</summary>
    public int MasterOf(int slot)
    {
        foreach (var line in Cli(Ports[0], "cluster", "nodes").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // <id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot> <slot-range>...
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 9 || !fields[2].Contains("master", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var range in fields[8..])
            {
                var bounds = range.Split('-');
                if (!int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out var low))
                {
                    continue; // an importing/migrating marker like [slot->-id]
                }

                var high = bounds.Length > 1 ? int.Parse(bounds[1], CultureInfo.InvariantCulture) : low;
                if (slot >= low && slot <= high)
                {
                    var address = fields[1].Split('@')[0];
                    return int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
                }
            }
        }

        throw new InvalidOperationException($"No master serves slot {slot}.");
    }

    public void Dispose()
    {
        _connection?.Dispose();
        foreach (var node in _nodes)
        {
            try
            {
                if (!node.HasExited)
                {
                    node.Kill(entireProcessTree: true);
                    node.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
                // It ended by itself.
            }

            node.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder.
        }
    }

    private void StartNodes(int masters)
    {
        var ports = new List<int>();
        for (var i = 0; i < masters; i++)
        {
            var port = FreePort(ports);
            ports.Add(port);
            var p = port.ToString(CultureInfo.InvariantCulture);
            _nodes.Add(RedisServerProcess.Start(
                _directory,
                [
                    "--port", p, "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(_directory, $"nodes-{p}.conf"), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", _directory, "--maxclients", "10000",
                ]));
        }

        Ports = ports;
        foreach (var port in ports)
        {
            WaitFor(() => Cli(port, "ping").Trim() == "PONG", $"node {port} to answer PING");
        }
    }

    private void Create()
    {
        var arguments = new List<string> { "--cluster", "create" };
        arguments.AddRange(Ports.Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture)));
        arguments.AddRange(["--cluster-replicas", "0", "--cluster-yes"]);
        var output = Run("redis-cli", [.. arguments]);
        if (!output.Contains("All 16384 slots covered", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("redis-cli --cluster create failed: " + output);
        }

        foreach (var port in Ports)
        {
            WaitFor(() => Cli(port, "cluster", "info").Contains("cluster_state:ok", StringComparison.Ordinal), $"node {port} to report cluster_state:ok");
        }
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > s_startLimit)
            {
                throw new InvalidOperationException($"Timed out after {s_startLimit.TotalSeconds} s waiting for {what}.");
            }

            Thread.Sleep(50);
        }
    }

    private static string Run(string file, string[] arguments)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start.");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} did not finish in 30 s.");
        }

        return output + error.GetAwaiter().GetResult();
    }

    private static int FreePort(List<int> taken)
    {
        // A cluster node also listens on port + 10000 (the cluster bus): both must be free.
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (port + 10000 <= 65535 && !taken.Contains(port) && IsFree(port + 10000))
            {
                return port;
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
