using System.Buffers;
using System.Text;
using System.Text.Json;
using Serilog.Events;
using Serilog.Parsing;
using WaitingRoom.Hosting;
using Xunit;

namespace WaitingRoom.Tests.Hosting;

/// <summary>The JSON line every log event becomes: valid JSON, one line, every kind of value.</summary>
public sealed class JsonLogLineTests
{
    [Fact]
    public void Write_RequestLikeEvent_OneLineOfJsonWithTheFieldsAndTypedProperties()
    {
        var template = new MessageTemplateParser().Parse("{Method} {Path} {StatusCode} {ElapsedMs:0.0} ms {Decision}");
        var traceId = System.Diagnostics.ActivityTraceId.CreateRandom();
        var spanId = System.Diagnostics.ActivitySpanId.CreateRandom();
        var logEvent = new LogEvent(
            new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero),
            LogEventLevel.Information,
            null,
            template,
            [
                new LogEventProperty("Method", new ScalarValue("GET")),
                new LogEventProperty("Path", new ScalarValue("/a\"b\n\u00e9\u0001")),
                new LogEventProperty("StatusCode", new ScalarValue(200)),
                new LogEventProperty("ElapsedMs", new ScalarValue(1.25)),
                new LogEventProperty("Decision", new ScalarValue(null)),
                new LogEventProperty("EventId", new StructureValue([new LogEventProperty("Id", new ScalarValue(300)), new LogEventProperty("Name", new ScalarValue("Request"))])),
                new LogEventProperty("Tags", new SequenceValue([new ScalarValue(true), new ScalarValue(7L)])),
                new LogEventProperty("Counts", new DictionaryValue([new(new ScalarValue("a"), new ScalarValue(1u))])),
            ],
            traceId,
            spanId);

        var text = Written(logEvent);
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        var properties = root.GetProperty("Properties");

        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("Information", root.GetProperty("Level").GetString());
        Assert.Equal("2026-11-21T12:00:00+00:00", root.GetProperty("Timestamp").GetString());
        Assert.Equal(template.Text, root.GetProperty("MessageTemplate").GetString());
        Assert.StartsWith("\"GET\" \"/a", root.GetProperty("RenderedMessage").GetString(), StringComparison.Ordinal);
        Assert.Contains(" 200 1.3 ms ", root.GetProperty("RenderedMessage").GetString(), StringComparison.Ordinal);
        Assert.Equal(traceId.ToHexString(), root.GetProperty("TraceId").GetString());
        Assert.Equal(spanId.ToHexString(), root.GetProperty("SpanId").GetString());
        Assert.Equal("/a\"b\n\u00e9\u0001", properties.GetProperty("Path").GetString());
        Assert.Contains("\"Path\":\"/a\\\"b\\n\u00e9\\u0001\"", text, StringComparison.Ordinal);
        Assert.Equal(200, properties.GetProperty("StatusCode").GetInt32());
        Assert.Equal(1.25, properties.GetProperty("ElapsedMs").GetDouble());
        Assert.Equal(JsonValueKind.Null, properties.GetProperty("Decision").ValueKind);
        Assert.Equal(300, properties.GetProperty("EventId").GetProperty("Id").GetInt32());
        Assert.Equal("[true,7]", properties.GetProperty("Tags").GetRawText());
        Assert.Equal(1, properties.GetProperty("Counts").GetProperty("a").GetInt32());
        Assert.False(root.TryGetProperty("Exception", out _));
    }

    [Fact]
    public void Write_WarningWithExceptionAndNoActivity_CarriesTheExceptionAndNoTraceIds()
    {
        var logEvent = new LogEvent(DateTimeOffset.UnixEpoch, LogEventLevel.Warning, new InvalidOperationException("broken\nstate"), new MessageTemplateParser().Parse("plain"), []);

        using var json = JsonDocument.Parse(Written(logEvent));
        var root = json.RootElement;

        Assert.Equal("Warning", root.GetProperty("Level").GetString());
        Assert.Equal("plain", root.GetProperty("RenderedMessage").GetString());
        Assert.StartsWith("System.InvalidOperationException: broken\nstate", root.GetProperty("Exception").GetString(), StringComparison.Ordinal);
        Assert.False(root.TryGetProperty("TraceId", out _));
        Assert.False(root.TryGetProperty("Properties", out _));
    }

    [Fact]
    public void Write_TwoEventsWithOneWriter_TwoLines()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Utf8JsonWriter? writer = null;
        var template = new MessageTemplateParser().Parse("n={N}");

        JsonLogLine.Write(new LogEvent(DateTimeOffset.UnixEpoch, LogEventLevel.Debug, null, template, [new LogEventProperty("N", new ScalarValue(1))]), buffer, ref writer);
        JsonLogLine.Write(new LogEvent(DateTimeOffset.UnixEpoch, LogEventLevel.Error, null, template, [new LogEventProperty("N", new ScalarValue(2))]), buffer, ref writer);
        writer?.Dispose();

        var lines = Encoding.UTF8.GetString(buffer.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal(["Debug", "Error"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("Level").GetString()));
    }

    private static string Written(LogEvent logEvent)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Utf8JsonWriter? writer = null;
        JsonLogLine.Write(logEvent, buffer, ref writer);
        writer?.Dispose();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
