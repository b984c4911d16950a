using System.Runtime.CompilerServices;

namespace WaitingRoom.Tests;

/// <summary>
/// These tests generate load from their own process (crowds of visitors, the test origins): on two
/// cores the thread pool starts with two threads and grows by about one a second, so a moment of
/// blocking stalled the crowd and the origin for 1.5 s and skewed what the tests measure.
/// </summary>
internal static class ThreadPoolWarmth
{
    [ModuleInitializer]
    internal static void Start()
    {
        ThreadPool.GetMinThreads(out var workers, out var completion);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(completion, 64));
    }
}
