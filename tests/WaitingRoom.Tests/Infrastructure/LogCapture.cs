using Microsoft.Extensions.Logging;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// A logger provider that keeps every entry of a host in memory, added with
/// <c>services.AddSingleton&lt;ILoggerProvider&gt;(capture)</c> next to the product's own logging.
/// </summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly Lock _lock = new();
    private readonly List<Entry> _entries = [];

    public IReadOnlyList<Entry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>
    /// The entries once one of them matches <paramref name="match"/> (for what a background task
    /// logs); fails the test when none does within <paramref name="timeout"/> (default 10 s).
    /// </summary>
    public async Task<IReadOnlyList<Entry>> WaitForAsync(Func<Entry, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var entries = Entries;
            if (entries.Any(match))
            {
                return entries;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"No matching log entry within the time allowed. Entries:\n{string.Join("\n", entries)}");
            }

            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
    }

    /// <summary>One log entry: category, level, event id and the rendered message.</summary>
    public sealed record Entry(string Category, LogLevel Level, EventId EventId, string Message);

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._lock)
            {
                owner._entries.Add(new Entry(category, logLevel, eventId, formatter(state, exception)));
            }
        }
    }
}
