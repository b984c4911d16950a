using System.Runtime.InteropServices;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>POSIX signals for processes a test started itself (Linux numbers).</summary>
internal static class ProcessSignals
{
    /// <summary>SIGTERM: the polite stop a container runtime or systemd sends first.</summary>
    public const int Terminate = 15;

    /// <summary>SIGCONT: a stopped process runs again.</summary>
    public const int Continue = 18;

    /// <summary>SIGSTOP: the process stops (hangs) without dying; its sockets stay open.</summary>
    public const int Stop = 19;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>, a process the test started.</summary>
    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
