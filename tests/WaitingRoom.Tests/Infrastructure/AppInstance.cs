using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// The built WaitingRoom.dll running as its own process on a free loopback port (see
/// <see cref="AppBinary"/>), ready once <c>/_wr/health</c> answers. Keeps the last lines of its
/// output for a failing test's message. Disposing kills the process and deletes its working folder.
/// </summary>
public sealed class AppInstance : IDisposable
{
    private const int KeptLines = 200;
    private readonly Process _process;
    private readonly string _workingDirectory;
    private readonly Queue<string> _output = new();

    private AppInstance(Process process, string workingDirectory, Uri address)
    {
        _process = process;
        _workingDirectory = workingDirectory;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>The last lines the process wrote (stdout and stderr).</summary>
    public string RecentOutput
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public static async Task<AppInstance> StartAsync(IDictionary<string, string> variables, TimeSpan limit)
    {
        var port = FreePort();
        var all = new Dictionary<string, string>(variables) { ["WR_PORT"] = port.ToString(CultureInfo.InvariantCulture) };
        var (info, workingDirectory) = AppBinary.StartInfo(all);
        var process = new Process { StartInfo = info };
        var instance = new AppInstance(process, workingDirectory, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => instance.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => instance.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var client = new HttpClient { BaseAddress = instance.Address, Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                var (exitCode, output) = (process.ExitCode, instance.RecentOutput);
                instance.Dispose();
                throw new InvalidOperationException($"WaitingRoom exited with {exitCode} at start:\n{output}");
            }

            try
            {
                using var response = await client.GetAsync("/_wr/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return instance;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Slow to answer while it starts.
            }

            if (clock.Elapsed > limit)
            {
                var output = instance.RecentOutput;
                instance.Dispose();
                throw new TimeoutException($"WaitingRoom did not answer /_wr/health within {limit.TotalSeconds} s:\n{output}");
            }

            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended by itself in the meantime.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_workingDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder.
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > KeptLines)
            {
                _output.Dequeue();
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
