using System.Diagnostics;
using System.Text;
using WaitingRoom.Tests.Infrastructure;

namespace WaitingRoom.Tests.Security;

/// <summary>
/// The built app as its own process (<see cref="AppBinary"/>) with only the given variables, its
/// standard output and error collected; killed and its folder deleted on dispose.
/// </summary>
internal sealed class AppRun : IDisposable
{
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly string _workingDirectory;

    private AppRun(Process process, string workingDirectory)
    {
        Process = process;
        _workingDirectory = workingDirectory;
    }

    public Process Process { get; }

    public string StandardOutput => Read(_stdout);

    public string StandardError => Read(_stderr);

    public static AppRun Start(IDictionary<string, string> variables)
    {
        var (info, workingDirectory) = AppBinary.StartInfo(variables);
        var process = new Process { StartInfo = info };
        var app = new AppRun(process, workingDirectory);
        process.OutputDataReceived += (_, e) => Append(app._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(app._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return app;
    }

    /// <summary>Waits for the process to end by itself; fails the test after <paramref name="timeout"/>.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await Process.WaitForExitAsync(cancel.Token);
        Process.WaitForExit();
        return Process.ExitCode;
    }

    /// <summary>Waits until standard output holds <paramref name="text"/>; false after <paramref name="timeout"/>.</summary>
    public async Task<bool> OutputContainsAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!StandardOutput.Contains(text, StringComparison.Ordinal))
        {
            if (clock.Elapsed > timeout || Process.HasExited)
            {
                return StandardOutput.Contains(text, StringComparison.Ordinal);
            }

            await Task.Delay(50);
        }

        return true;
    }

    public void Dispose()
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
            // Best effort: a temporary folder.
        }
    }

    private static string Read(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString();
        }
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
