using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Security;

/// <summary>
/// The published app (<c>dotnet WaitingRoom.dll</c>, see <see cref="AppBinary"/>) running as its own
/// process on a free loopback port with only the given variables, its output captured. Killed
/// with its children on dispose.
/// </summary>
internal sealed class RunningApp : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(40);
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly string _workingDirectory;

    private RunningApp(Process process, string workingDirectory, Uri address)
    {
        Process = process;
        _workingDirectory = workingDirectory;
        Address = address;
    }

    public Process Process { get; }

    public Uri Address { get; }

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts the app with <paramref name="variables"/> (WR_PORT is chosen here) and waits until /_wr/health answers.</summary>
    public static async Task<RunningApp> StartAsync(IDictionary<string, string> variables)
    {
        var port = FreePort();
        var all = new Dictionary<string, string>(variables) { ["WR_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var (info, workingDirectory) = AppBinary.StartInfo(all);
        var process = new Process { StartInfo = info };
        var app = new RunningApp(process, workingDirectory, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => Append(app._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(app._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await app.WaitUntilHealthyAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    /// <summary>The resident memory of the app's process now, in bytes.</summary>
    public long WorkingSet()
    {
        Process.Refresh();
        return Process.WorkingSet64;
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < s_startTimeout)
        {
            if (Process.HasExited)
            {
                Assert.Fail($"The app exited with code {Process.ExitCode} before answering.\nstderr: {StandardError}\nstdout: {StandardOutput}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(Address, "/_wr/health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening or not answering yet.
            }

            await Task.Delay(200);
        }

        Assert.Fail($"/_wr/health did not answer within {s_startTimeout.TotalSeconds} s.\nstderr: {StandardError}\nstdout: {StandardOutput}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended by itself in the meantime.
        }

        Process.Dispose();
        try
        {
            Directory.Delete(_workingDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder.
        }

        return ValueTask.CompletedTask;
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.Append(line).Append('\n');
        }
    }
}
