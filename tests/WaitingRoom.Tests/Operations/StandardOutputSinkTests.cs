using System.Globalization;
using System.Text;
using System.Text.Json;
using Serilog.Events;
using Serilog.Formatting.Json;
using Serilog.Parsing;
using WaitingRoom.Operations;
using Xunit;

namespace WaitingRoom.Tests.Operations;

public sealed class StandardOutputSinkTests
{
    private static readonly MessageTemplate s_template = new MessageTemplateParser().Parse("GET {Path} {StatusCode}");

    [Fact]
    public async Task EmitBatch_ThreeEvents_ThreeJsonLinesInOrderWrittenByTheBatch()
    {
        // Arrange
        using var output = new MemoryStream();
        using var sink = new StandardOutputSink(new JsonFormatter(renderMessage: true, formatProvider: CultureInfo.InvariantCulture), output);
        var batch = new[] { Event("/a", 200), Event("/b", 302), Event("/ü \"quoted\"", 503) };

        // Act
        await sink.EmitBatchAsync(batch);

        // Assert: every line whole and flushed when the batch returns, none lost or merged.
        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["GET \"/a\" 200", "GET \"/b\" 302", "GET \"/ü \\\"quoted\\\"\" 503"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("RenderedMessage").GetString()));
        Assert.False(output.ToArray().AsSpan().StartsWith(Encoding.UTF8.Preamble), "no byte order mark before the first line");
    }

    private static LogEvent Event(string path, int status) => new(
        DateTimeOffset.UnixEpoch, LogEventLevel.Information, exception: null, s_template,
        [new LogEventProperty("Path", new ScalarValue(path)), new LogEventProperty("StatusCode", new ScalarValue(status))]);
}
