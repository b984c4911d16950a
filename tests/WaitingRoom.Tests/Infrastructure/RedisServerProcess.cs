using System.Diagnostics;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// A redis-server process a test server starts in a folder of its own: its output is read and
/// dropped (so a full pipe never blocks it), and it is killed when the test run ends, should its
/// owner not have stopped it.
/// </summary>
internal static class RedisServerProcess
{
    /// <summary>Starts <c>redis-server <paramref name="arguments"/></c> with <paramref name="directory"/> as its working directory.</summary>
    public static Process Start(string directory, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo("redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }
            }
            catch (InvalidOperationException)
            {
                // It ended, or its owner disposed of it.
            }
        };
        return process;
    }
}
