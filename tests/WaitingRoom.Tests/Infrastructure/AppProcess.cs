using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// The built app (<see cref="AppBinary"/>) running as its own process with only the given
/// variables, its standard output and error read in the background. <see cref="Start"/> runs it as
/// given and returns at once (a run expected to exit, such as a bad configuration, or one whose
/// output the test watches); <see cref="StartAsync"/> runs it on a free loopback port and returns
/// once a readiness path answers 200. Disposing kills the process with its children and deletes
/// its working directory; so does the end of the test run, for one a test left behind.
/// </summary>
public sealed class AppProcess : IDisposable
{
    /// <summary>Answers 200 as soon as the app serves requests.</summary>
    public const string HealthPath = "/_wr/health";

    /// <summary>Answers 200 while the app takes traffic (its store answers, it is not shutting down).</summary>
    public const string ReadyPath = "/_wr/ready";

    private static readonly TimeSpan s_readyWithin = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly string _workingDirectory;
    private readonly Uri? _address;
    private readonly EventHandler _killOnExit;
    private readonly Lock _lock = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _output = new();
    private int _disposed;

    private AppProcess(Process process, string workingDirectory, Uri? address)
    {
        _process = process;
        _workingDirectory = workingDirectory;
        _address = address;
        _killOnExit = (_, _) => Kill();
    }

    /// <summary>Where the app listens: 127.0.0.1 on the port WR_PORT names.</summary>
    public Uri Address => _address ?? throw new InvalidOperationException("The app was started without a WR_PORT of its own.");

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the app wrote to standard output so far, a line a line.</summary>
    public string StandardOutput => Read(_stdout);

    /// <summary>Everything the app wrote to standard error so far, a line a line.</summary>
    public string StandardError => Read(_stderr);

    /// <summary>Standard output and error as they came, for a failing test's message.</summary>
    public string Output => Read(_output);

    /// <summary>
    /// Starts <c>dotnet WaitingRoom.dll <paramref name="arguments"/></c> with <paramref name="variables"/>
    /// and returns without waiting. <see cref="Address"/> is known when the variables set WR_PORT.
    /// </summary>
    public static AppProcess Start(IDictionary<string, string> variables, params string[] arguments)
    {
        var (info, workingDirectory) = AppBinary.StartInfo(variables, arguments);
        var address = variables.TryGetValue("WR_PORT", out var value) && int.TryParse(value, CultureInfo.InvariantCulture, out var port) && port > 0
            ? new Uri($"http://127.0.0.1:{port}/")
            : null;
        var app = new AppProcess(new Process { StartInfo = info }, workingDirectory, address);
        app._process.OutputDataReceived += (_, e) => app.Append(app._stdout, e.Data);
        app._process.ErrorDataReceived += (_, e) => app.Append(app._stderr, e.Data);
        try
        {
            app._process.Start();
        }
        catch
        {
            app.Dispose();
            throw;
        }

        app._process.BeginOutputReadLine();
        app._process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += app._killOnExit;
        return app;
    }

    /// <summary>
    /// Starts the app with <paramref name="variables"/> on a free loopback port (WR_PORT is set
    /// here) and waits until <paramref name="readyPath"/> answers 200; throws when the app exits
    /// first or does not answer within <paramref name="readyWithin"/> (30 s unless given).
    /// </summary>
    public static async Task<AppProcess> StartAsync(IDictionary<string, string> variables, string readyPath = HealthPath, TimeSpan? readyWithin = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var all = new Dictionary<string, string>(variables) { ["WR_PORT"] = FreePort().ToString(CultureInfo.InvariantCulture) };
            var app = Start(all);
            try
            {
                await app.WaitUntilAnswersAsync(readyPath, readyWithin ?? s_readyWithin);
                return app;
            }
            catch (InvalidOperationException) when (attempt < 3 && app.StandardError.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                // The free port was taken between the look and the app's bind (an outgoing connection of a
                // parallel test picks from the same range): another port, not a failure of the app.
                app.Dispose();
            }
            catch
            {
                app.Dispose();
                throw;
            }
        }
    }

    /// <summary>A loopback port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>SIGTERM: what a container runtime sends on <c>docker stop</c>.</summary>
    public void Terminate() => ProcessSignals.Send(_process.Id, ProcessSignals.Terminate);

    /// <summary>SIGKILL to the app and its children, if it still runs: it dies at once (a crash, the OOM killer, a lost machine).</summary>
    public void Kill()
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
            // Not started, or it ended by itself in the meantime.
        }
    }

    /// <summary>Waits for the process to exit; false when it still runs after <paramref name="limit"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        // The output read to its end too.
        _process.WaitForExit();
        return true;
    }

    /// <summary>Waits for the process to end by itself and returns its exit code; throws <see cref="TimeoutException"/> after <paramref name="limit"/>.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan limit)
    {
        if (!await WaitForExitAsync(limit))
        {
            throw new TimeoutException($"The app still ran {limit.TotalSeconds} s after it started.\nstderr: {StandardError}\nstdout: {StandardOutput}");
        }

        return _process.ExitCode;
    }

    /// <summary>Waits until standard output holds <paramref name="text"/>; false after <paramref name="limit"/> or once the app has exited without it.</summary>
    public async Task<bool> OutputContainsAsync(string text, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!StandardOutput.Contains(text, StringComparison.Ordinal))
        {
            if (clock.Elapsed > limit || _process.HasExited)
            {
                return StandardOutput.Contains(text, StringComparison.Ordinal);
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>The resident memory of the app's process now, in bytes.</summary>
    public long WorkingSet()
    {
        _process.Refresh();
        return _process.WorkingSet64;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= _killOnExit;
        Kill();
        _process.Dispose();
        try
        {
            Directory.Delete(_workingDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temporary folder.
        }
    }

    private async Task WaitUntilAnswersAsync(string path, TimeSpan limit)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The app exited with code {_process.ExitCode} before {path} answered.\nstderr: {StandardError}\nstdout: {StandardOutput}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(Address, path));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening or not answering yet.
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"{path} did not answer 200 within {limit.TotalSeconds} s.\nstderr: {StandardError}\nstdout: {StandardOutput}");
            }

            await Task.Delay(100);
        }
    }

    private string Read(StringBuilder buffer)
    {
        lock (_lock)
        {
            return buffer.ToString();
        }
    }

    private void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            buffer.Append(line).Append('\n');
            _output.Append(line).Append('\n');
        }
    }
}
