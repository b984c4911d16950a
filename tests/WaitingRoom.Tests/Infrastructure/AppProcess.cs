using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// The built app (<see cref="AppBinary"/>) running as its own process on a free loopback port,
/// its output read in the background (kept for diagnostics), for tests that signal or kill an
/// instance. Disposing kills it if it still runs and deletes its working directory.
/// </summary>
public sealed class AppProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _workingDirectory;
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();

    private AppProcess(Process process, string workingDirectory, Uri address)
    {
        _process = process;
        _workingDirectory = workingDirectory;
        Address = address;
    }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the app wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the app with <paramref name="variables"/> (WR_PORT is added) and waits until /_wr/ready answers 200.</summary>
    public static async Task<AppProcess> StartAsync(IDictionary<string, string?> variables, TimeSpan? readyWithin = null)
    {
        var port = FreePort();
        var all = variables.Where(v => v.Value is not null).ToDictionary(v => v.Key, v => v.Value!);
        all["WR_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        var (info, workingDirectory) = AppBinary.StartInfo(all);
        var process = Process.Start(info) ?? throw new InvalidOperationException("the app did not start");
        var app = new AppProcess(process, workingDirectory, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => app.Append(e.Data);
        process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => app.KillIfRunning();
        try
        {
            await app.WaitUntilReadyAsync(readyWithin ?? TimeSpan.FromSeconds(30));
        }
        catch
        {
            app.Dispose();
            throw;
        }

        return app;
    }

    /// <summary>SIGTERM: what a container runtime sends on <c>docker stop</c>.</summary>
    public void Terminate() => ProcessSignals.Send(_process.Id, ProcessSignals.Terminate);

    /// <summary>SIGKILL: the instance dies at once (a crash, the OOM killer, a lost machine).</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit(5000);
    }

    /// <summary>Waits for the process to exit; false when it still runs after <paramref name="limit"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        KillIfRunning();
        _process.Dispose();
        try
        {
            Directory.Delete(_workingDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void KillIfRunning()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            if (_output.Length < 4_000_000)
            {
                _output.AppendLine(line);
            }
        }
    }

    private async Task WaitUntilReadyAsync(TimeSpan limit)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the app exited with code {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var ready = await client.GetAsync(new Uri(Address, "/_wr/ready"));
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            if (clock.Elapsed > limit)
            {
                throw new InvalidOperationException($"the app was not ready within {limit}:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
