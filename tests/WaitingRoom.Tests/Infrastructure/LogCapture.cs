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
