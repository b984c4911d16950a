using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// A Sentinel-managed Redis on loopback, started by the test: a master, one replica of it, and
/// three <c>redis-server --sentinel</c> processes monitoring it as <see cref="MasterName"/> with
/// quorum 2, <c>down-after-milliseconds 1000</c> and a short failover timeout, each on a free port
/// with its config file in a temporary folder. Ready once the replica's link is up and every
/// sentinel knows the replica and the two other sentinels. Disposing kills every process and
/// deletes the folder.
/// </summary>
public sealed class RedisSentinelGroup : IDisposable
{
    /// <summary>The master name the sentinels monitor (WR_REDIS_SENTINEL).</summary>
    public const string MasterName = "mymaster";

    private static readonly TimeSpan s_startLimit = TimeSpan.FromSeconds(20);
    private readonly string _directory;
    private readonly List<Process> _sentinels = [];
    private Process? _master;
    private Process? _replica;
    private ConnectionMultiplexer? _sentinelConnection;

    private RedisSentinelGroup(string directory) => _directory = directory;

    /// <summary>The first master's port.</summary>
    public int MasterPort { get; private set; }

    /// <summary>The replica's port (the master after a failover).</summary>
    public int ReplicaPort { get; private set; }

    /// <summary>The sentinels' ports.</summary>
    public IReadOnlyList<int> SentinelPorts { get; private set; } = [];

    /// <summary>The sentinels as WR_REDIS_HOST takes them: <c>127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3</c>.</summary>
    public string SentinelList => string.Join(",", SentinelPorts.Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture)));

    public static RedisSentinelGroup Start()
    {
        var directory = Path.Combine(Path.GetTempPath(), "wr-sentinel-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var group = new RedisSentinelGroup(directory);
        try
        {
            group.StartProcesses();
            group.WaitUntilReady();
            return group;
        }
        catch
        {
            group.Dispose();
            throw;
        }
    }

    /// <summary>One command to the Redis on <paramref name="port"/> through redis-cli; what it printed, trimmed.</summary>
    public static string Cli(int port, params string[] arguments) => RedisCluster.Cli(port, arguments).Trim();

    /// <summary>SIGKILL of the first master: no shutdown, no last write, its connections cut.</summary>
    public void KillMaster() => _master!.Kill();

    /// <summary>Whether any sentinel names the replica as the master now: the promotion has happened (the others learn it from its hello messages).</summary>
    public async Task<bool> PromotedAsync()
    {
        foreach (var port in SentinelPorts)
        {
            try
            {
                if (await SentinelConnection.GetServer("127.0.0.1", port).SentinelGetMasterAddressByNameAsync(MasterName) is IPEndPoint endpoint && endpoint.Port == ReplicaPort)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // That sentinel is busy or not connected yet: ask the next.
            }
        }

        return false;
    }

    /// <summary>What the sentinels logged about the failover (sdown, odown, votes, tilt, switch), for a failure message.</summary>
    public string FailoverLog()
    {
        string[] marks = ["+sdown", "-sdown", "+odown", "+tilt", "-tilt", "+try-failover", "+vote-for-leader", "+elected-leader", "-failover-abort", "+failover-state", "+switch-master", "+new-epoch", "-no-good-slave", "+selected-slave"];
        var lines = SentinelPorts.SelectMany(port =>
        {
            var file = Path.Combine(_directory, $"sentinel-{Text(port)}.log");
            return File.Exists(file)
                ? File.ReadLines(file).Where(l => marks.Any(m => l.Contains(m, StringComparison.Ordinal))).Select(l => $"[{Text(port)}] {l}")
                : [$"[{Text(port)}] no log"];
        });
        return string.Join(Environment.NewLine, lines.TakeLast(60));
    }

    /// <summary>The replica's replication offset and its link to the master ("up" or "down"), from INFO replication.</summary>
    public (long Offset, string Link) ReplicaState()
    {
        var info = Cli(ReplicaPort, "info", "replication").Split('\n').Select(l => l.Trim()).ToList();
        string Field(string name) => info.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..] ?? "";
        return (long.TryParse(Field("slave_repl_offset"), CultureInfo.InvariantCulture, out var offset) ? offset : -1, Field("master_link_status"));
    }

    public void Dispose()
    {
        _sentinelConnection?.Dispose();
        foreach (var process in _sentinels.Append(_master).Append(_replica))
        {
            if (process is null)
            {
                continue;
            }

            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
                // It had ended.
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A process still held a file: the folder is in the temp folder anyway.
        }
    }

    private ConnectionMultiplexer SentinelConnection => _sentinelConnection ??= ConnectionMultiplexer.Connect(
        SentinelList + ",abortConnect=false,connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000",
        options => options.CommandMap = CommandMap.Sentinel);

    private void StartProcesses()
    {
        MasterPort = FreePort();
        ReplicaPort = FreePort();
        SentinelPorts = [FreePort(), FreePort(), FreePort()];
        string[] common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
        _master = RedisServerProcess.Start(_directory, ["--port", Text(MasterPort), .. common]);
        _replica = RedisServerProcess.Start(_directory, ["--port", Text(ReplicaPort), "--replicaof", "127.0.0.1", Text(MasterPort), .. common]);

        // The sentinels learn the replica from the master's INFO, asked on connect and then every 10 s: start them once it is linked.
        WaitFor(() => ReplicaState().Link == "up", "the replica is linked to the master");
        foreach (var port in SentinelPorts)
        {
            // Sentinel rewrites its config file (what it learns), so each has its own.
            var file = Path.Combine(_directory, $"sentinel-{Text(port)}.conf");
            File.WriteAllLines(file, [
                $"port {Text(port)}",
                "bind 127.0.0.1",
                $"sentinel monitor {MasterName} 127.0.0.1 {Text(MasterPort)} 2",
                $"sentinel down-after-milliseconds {MasterName} 1000",
                $"sentinel failover-timeout {MasterName} 5000",
                $"sentinel parallel-syncs {MasterName} 1",
                $"logfile sentinel-{Text(port)}.log",
            ]);
            _sentinels.Add(RedisServerProcess.Start(_directory, [file, "--sentinel"]));
        }
    }

    private void WaitUntilReady() => WaitFor(IsReady, "every sentinel knows the replica and the other sentinels");

    private static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!Try(condition))
        {
            if (clock.Elapsed > s_startLimit)
            {
                throw new InvalidOperationException($"the sentinel group was not ready within {s_startLimit.TotalSeconds:0} s: {what}");
            }

            Thread.Sleep(100);
        }
    }

    private static bool Try(Func<bool> condition)
    {
        try
        {
            return condition();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }

    private bool IsReady() =>
        ReplicaState().Link == "up" && SentinelPorts.All(port =>
        {
            var master = SentinelConnection.GetServer("127.0.0.1", port).SentinelMaster(MasterName).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            return master.GetValueOrDefault("num-other-sentinels") == "2" && master.GetValueOrDefault("num-slaves") == "1" && master.GetValueOrDefault("flags") == "master";
        });

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
