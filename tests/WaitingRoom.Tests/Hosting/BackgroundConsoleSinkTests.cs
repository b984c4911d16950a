using System.Buffers;
using System.Globalization;
using System.Text;
using Serilog.Events;
using Serilog.Parsing;
using WaitingRoom.Hosting;
using Xunit;

namespace WaitingRoom.Tests.Hosting;

/// <summary>The log writer off the request path: nothing lost in normal operation, bounded when the output stalls.</summary>
public sealed class BackgroundConsoleSinkTests
{
    private static readonly MessageTemplate s_template = new MessageTemplateParser().Parse("line {N}");

    [Fact]
    public void Emit_ManyEventsFromManyThreads_AllWrittenOncePerThreadInOrder()
    {
        var output = new MemoryStream();
        var sink = new BackgroundConsoleSink(output, MessageOnly);

        Parallel.For(0, 4, thread =>
        {
            for (var i = 0; i < 2_500; i++)
            {
                sink.Emit(Event(thread * 10_000 + i));
            }
        });
        sink.Dispose();

        var numbers = Lines(output).Select(l => int.Parse(l["line ".Length..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(10_000, numbers.Count);
        Assert.Equal(10_000, numbers.Distinct().Count());
        for (var thread = 0; thread < 4; thread++)
        {
            var own = numbers.Where(n => n / 10_000 == thread).ToList();
            Assert.Equal(own.Order(), own);
        }
    }

    [Fact]
    public void Emit_OutputStalls_DropsPastTheCapacityCountsThemAndSaysSoWhenItCatchesUp()
    {
        using var gate = new GateStream();
        var sink = new BackgroundConsoleSink(gate, MessageOnly);
        const int sent = BackgroundConsoleSink.Capacity + 20_000;

        for (var i = 0; i < sent; i++)
        {
            sink.Emit(Event(i));
        }

        var dropped = sink.Dropped;
        gate.Open();
        sink.Dispose();

        var lines = Lines(gate.Written);
        Assert.InRange(dropped, 1, 20_000);
        Assert.Equal(sent - dropped + 1, lines.Count);
        Assert.Contains($"{dropped} log events were dropped", lines[^1], StringComparison.Ordinal);
    }

    private static LogEvent Event(int n) =>
        new(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, s_template, [new LogEventProperty("N", new ScalarValue(n))]);

    private static List<string> Lines(MemoryStream stream) =>
        [.. Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    private static void MessageOnly(LogEvent logEvent, IBufferWriter<byte> buffer)
    {
        var line = logEvent.RenderMessage(CultureInfo.InvariantCulture) + "\n";
        buffer.Write(Encoding.UTF8.GetBytes(line));
    }

    /// <summary>An output that blocks every write until opened, like a stalled pipe.</summary>
    private sealed class GateStream : Stream
    {
        private readonly ManualResetEventSlim _open = new();

        public MemoryStream Written { get; } = new();

        public void Open() => _open.Set();

        public override void Write(byte[] buffer, int offset, int count)
        {
            _open.Wait();
            Written.Write(buffer, offset, count);
        }

        public override void Flush()
        {
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Written.Length;

        public override long Position { get => Written.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _open.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
