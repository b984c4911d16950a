using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace WaitingRoom.Hosting;

/// <summary>
/// Writes log events to standard output from a background thread, many lines per write: a
/// request never waits for the console. Serilog's console sink writes and flushes every line
/// under a lock on the request's own thread, which at tens of thousands of requests per second
/// costs more than the proxying. When the output cannot keep up, up to <see cref="Capacity"/>
/// events wait; past that, events are dropped and counted, and the count is logged as a warning
/// once the writer catches up (better than slowing every visitor down to the speed of the log).
/// Disposing drains what is queued (the host disposes the logger on shutdown). Besides Serilog's
/// events it takes request lines directly (<see cref="EmitRequest"/>): the request log's one line
/// per request skips building a Serilog event and is formatted here, off the request's thread.
/// </summary>
internal sealed class BackgroundConsoleSink : ILogEventSink, IDisposable
{
    /// <summary>Events waiting to be written, at most.</summary>
    internal const int Capacity = 50_000;

    /// <summary>How long a line may wait before it is written: the batching window.</summary>
    internal static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(20);

    private static readonly MessageTemplate s_droppedTemplate =
        new MessageTemplateParser().Parse("{Dropped} log events were dropped: the log output could not keep up.");

    // LogEvent or RequestLogEntry, in the order they were emitted.
    private readonly Channel<object> _events = Channel.CreateBounded<object>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Bytes gathered before they are handed to the output, at most (roughly).</summary>
    private const int BufferBytes = 64 * 1024;

    private readonly LineWriter _format;
    private readonly Stream _output;
    private readonly ArrayBufferWriter<byte> _buffer = new(BufferBytes * 2);
    private Utf8JsonWriter? _json;
    private char[] _scratch = new char[256];
    private readonly Task _writer;
    private readonly TaskCompletionSource _closing = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _dropped;

    /// <param name="output">Where lines go; standard output when null.</param>
    /// <param name="format">How an event becomes bytes; one JSON line (<see cref="JsonLogLine"/>) when null.</param>
    public BackgroundConsoleSink(Stream? output = null, LineWriter? format = null)
    {
        _output = output ?? Console.OpenStandardOutput();
        _format = format ?? WriteJson;
        _writer = Task.Factory.StartNew(WriteAllAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Writes one event, with its line end, to a buffer.</summary>
    internal delegate void LineWriter(LogEvent logEvent, IBufferWriter<byte> buffer);

    /// <summary>Events dropped since the last warning about them.</summary>
    internal long Dropped => Interlocked.Read(ref _dropped);

    public void Emit(LogEvent logEvent) => Enqueue(logEvent);

    /// <summary>Writes one request line (see <see cref="RequestLogLine"/>).</summary>
    public void EmitRequest(RequestLogEntry entry) => Enqueue(entry);

    private void Enqueue(object item)
    {
        if (!_events.Writer.TryWrite(item))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task WriteAllAsync()
    {
        // The writer looks every BatchInterval instead of being woken by each event: under load
        // that is one wake-up and one write per batch, not per line.
        var reader = _events.Reader;
        using var timer = new PeriodicTimer(BatchInterval);
        while (true)
        {
            while (reader.TryRead(out var item))
            {
                if (item is RequestLogEntry entry)
                {
                    RequestLogLine.Write(entry, _buffer, ref _json, ref _scratch);
                    SendWhenFull();
                }
                else
                {
                    Write((LogEvent)item);
                }
            }

            if (Interlocked.Exchange(ref _dropped, 0) is var dropped and > 0)
            {
                Write(new LogEvent(DateTimeOffset.Now, LogEventLevel.Warning, null, s_droppedTemplate, [new LogEventProperty("Dropped", new ScalarValue(dropped))]));
            }

            // Nothing more waiting: hand the batch to the output in one go.
            Flush();
            if (reader.Completion.IsCompleted)
            {
                return;
            }

            // The next tick, or at once when the sink is being disposed.
            await Task.WhenAny(timer.WaitForNextTickAsync().AsTask(), _closing.Task).ConfigureAwait(false);
        }
    }

    private void WriteJson(LogEvent logEvent, IBufferWriter<byte> buffer) => JsonLogLine.Write(logEvent, buffer, ref _json);

    private void Write(LogEvent logEvent)
    {
        _format(logEvent, _buffer);
        SendWhenFull();
    }

    private void SendWhenFull()
    {
        if (_buffer.WrittenCount >= BufferBytes)
        {
            Send();
        }
    }

    /// <summary>Hands what is gathered to the output.</summary>
    private void Send()
    {
        try
        {
            _output.Write(_buffer.WrittenSpan);
        }
        catch (IOException)
        {
            // Standard output went away (closed pipe): nothing sensible to do but go on serving.
        }

        _buffer.ResetWrittenCount();
    }

    private void Flush()
    {
        Send();
        try
        {
            _output.Flush();
        }
        catch (IOException)
        {
            // As above.
        }
    }

    public void Dispose()
    {
        _events.Writer.TryComplete();
        _closing.TrySetResult();
        _writer.Wait(TimeSpan.FromSeconds(5));
        Flush();
    }
}
