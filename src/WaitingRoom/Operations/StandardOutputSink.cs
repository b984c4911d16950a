using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace WaitingRoom.Operations;

/// <summary>
/// JSON lines on stdout for Serilog's batching sink: one write per batch. Serilog's console sink
/// flushes every event (a system call per request line), and no maintained sink buffers stdout.
/// </summary>
internal sealed class StandardOutputSink(ITextFormatter formatter, Stream? output = null) : IBatchedLogEventSink, IDisposable
{
    private readonly StreamWriter _writer = new(output ?? Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024) { AutoFlush = false };

    public Task EmitBatchAsync(IReadOnlyCollection<LogEvent> batch)
    {
        foreach (var logEvent in batch)
        {
            formatter.Format(logEvent, _writer);
        }

        // Synchronous on purpose: stdout is a pipe or a terminal, and the batch runs on Serilog's own worker.
        _writer.Flush();
        return Task.CompletedTask;
    }

    public Task OnEmptyBatchAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _writer.Flush();
        _writer.Dispose();
    }
}
