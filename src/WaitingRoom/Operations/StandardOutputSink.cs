using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace WaitingRoom.Operations;

/// <summary>
/// Serilog's batching sink target for JSON lines on stdout: each batch is formatted into one
/// buffer and written with one call. Serilog's console sink writes and flushes every event on its
/// own (a system call per request line, the largest part of the request log's cost), and no
/// maintained sink buffers stdout.
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
