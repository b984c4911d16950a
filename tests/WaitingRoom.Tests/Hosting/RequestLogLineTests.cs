using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;
using WaitingRoom.Hosting;
using Xunit;

namespace WaitingRoom.Tests.Hosting;

/// <summary>
/// The request line written straight to the console writer is byte for byte the line the same
/// request gives through ILogger, Serilog and <see cref="JsonLogLine"/> (the path taken when the
/// operator's Serilog configuration adds sinks or enrichers): operators' log queries see one shape.
/// </summary>
public sealed class RequestLogLineTests
{
    [Theory]
    [InlineData("GET", "/shop/item", 200, 1.25, "active", "default", "G2DwXFDc")]
    [InlineData("POST", "/a\"b\\c/\u00e9\u0001 x", 503, 0.04, "store-unavailable", "", "")]
    [InlineData("PROPFIND", "/", 499, 12345.678, "client-gone", "shop", "abc\"def")]
    public void Write_SameLineAsThroughSerilog(string method, string path, int status, double elapsed, string decision, string room, string visitor)
    {
        var (viaSerilog, logEvent) = ThroughSerilog(method, path, status, elapsed, decision, room, visitor);
        var entry = new RequestLogEntry(logEvent.Timestamp, method, path, status, elapsed, decision, room, visitor,
            "0HNQ7QRAV69U1:00000001", "0HNQ7QRAV69U1", logEvent.TraceId, logEvent.SpanId);

        var direct = Direct(entry);

        Assert.Equal(viaSerilog, direct);
        using var json = JsonDocument.Parse(direct);
        Assert.Equal(path, json.RootElement.GetProperty("Properties").GetProperty("Path").GetString());
        Assert.Equal(status, json.RootElement.GetProperty("Properties").GetProperty("StatusCode").GetInt32());
    }

    [Fact]
    public void Write_LongMessage_GrowsTheScratchBufferAndKeepsEveryCharacter()
    {
        var path = "/" + new string('p', 5_000);
        var entry = new RequestLogEntry(DateTimeOffset.UnixEpoch, "GET", path, 200, 1, "active", "default", "v", "r", "c", null, null);
        var scratch = new char[8];

        var line = Direct(entry, scratch);

        using var json = JsonDocument.Parse(line);
        Assert.Contains(path, json.RootElement.GetProperty("RenderedMessage").GetString(), StringComparison.Ordinal);
        Assert.False(json.RootElement.TryGetProperty("TraceId", out _));
    }

    [Fact]
    public void EmitRequest_BetweenSerilogEvents_WrittenInOrder()
    {
        var output = new MemoryStream();
        var sink = new BackgroundConsoleSink(output);
        var template = new Serilog.Parsing.MessageTemplateParser().Parse("event {N}");

        sink.Emit(new LogEvent(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, template, [new LogEventProperty("N", new ScalarValue(1))]));
        sink.EmitRequest(new RequestLogEntry(DateTimeOffset.UnixEpoch, "GET", "/between", 200, 1, "active", "default", "v", "r", "c", null, null));
        sink.Emit(new LogEvent(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, template, [new LogEventProperty("N", new ScalarValue(2))]));
        sink.Dispose();

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains("event 1", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"Path\":\"/between\"", lines[1], StringComparison.Ordinal);
        Assert.Contains("event 2", lines[2], StringComparison.Ordinal);
    }

    private static string Direct(RequestLogEntry entry, char[]? scratch = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Utf8JsonWriter? writer = null;
        scratch ??= new char[256];
        RequestLogLine.Write(entry, buffer, ref writer, ref scratch);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The request logged the way the middleware logs it through ILogger, inside the host's request scope and an activity.</summary>
    private static (string Line, LogEvent Event) ThroughSerilog(string method, string path, int status, double elapsed, string decision, string room, string visitor)
    {
        var captured = new Capture();
        using var serilog = new LoggerConfiguration().MinimumLevel.Information().WriteTo.Sink(captured).CreateLogger();
        using var factory = new LoggerFactory([new SerilogLoggerProvider(serilog)]);
        var logger = factory.CreateLogger(RequestLogLine.SourceContext);
        using var activity = new Activity("request").Start();
        using (logger.BeginScope(new List<KeyValuePair<string, object>>
        {
            new("RequestId", "0HNQ7QRAV69U1:00000001"),
            new("RequestPath", path),
            new("ConnectionId", "0HNQ7QRAV69U1"),
        }))
        {
#pragma warning disable CA1848, CA2254, CA1873 // the very call the source-generated logger makes, with the product's template
            logger.Log(LogLevel.Information, new EventId(RequestLogLine.EventId, RequestLogLine.EventName), RequestLogLine.Template,
                method, path, status, elapsed, decision, room, visitor);
#pragma warning restore CA1848, CA2254, CA1873
        }

        var logEvent = Assert.Single(captured.Events);
        var buffer = new ArrayBufferWriter<byte>();
        Utf8JsonWriter? writer = null;
        JsonLogLine.Write(logEvent, buffer, ref writer);
        return (Encoding.UTF8.GetString(buffer.WrittenSpan), logEvent);
    }

    private sealed class Capture : ILogEventSink
    {
        public List<LogEvent> Events { get; } = [];

        public void Emit(LogEvent logEvent) => Events.Add(logEvent);
    }
}
