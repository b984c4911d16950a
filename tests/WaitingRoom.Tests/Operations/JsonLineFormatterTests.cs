using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Json;
using WaitingRoom.Admission;
using WaitingRoom.Operations;
using Xunit;

namespace WaitingRoom.Tests.Operations;

/// <summary>
/// The request log's formatter against Serilog's JsonFormatter, the format the README promises:
/// the same characters for every event, request lines and anything else.
/// </summary>
public sealed class JsonLineFormatterTests
{
    private static readonly JsonFormatter s_oracle = new(renderMessage: true, formatProvider: CultureInfo.InvariantCulture);

    [Fact]
    public async Task Format_RequestLinesOfEveryCharacterStatusAndTime_SameAsJsonFormatter()
    {
        // Arrange: request lines as the middleware makes them, with paths of every character below
        // 0x80, quotes, backslashes and non-ASCII; every status; times from 0 to hours.
        var random = new Random(1234);
        var events = new List<LogEvent>();
        for (var i = 0; i < 2_000; i++)
        {
            var path = new string(Enumerable.Range(0, random.Next(0, 24)).Select(_ => random.Next(10) switch
            {
                0 => (char)random.Next(0, 0x20),
                1 => '"',
                2 => '\\',
                3 => (char)random.Next(0x80, 0x3000),
                _ => (char)random.Next(0x20, 0x80),
            }).ToArray());
            var feature = new WaitingRoomRequestFeature
            {
                Decision = random.Next(3) == 0 ? "queued" : "active",
                Room = random.Next(4) == 0 ? "" : "room \"" + random.Next(3) + "\"",
                Visitor = random.Next(5) == 0 ? null : "v" + random.Next(1_000_000).ToString("x", CultureInfo.InvariantCulture),
            };
            events.Add(await RequestLineAsync(path, random.Next(100, 700), feature, traced: random.Next(3) == 0));
        }

        // Act + Assert
        AssertSameAsOracle(events);
    }

    [Fact]
    public void Format_OtherEvents_SameAsJsonFormatter()
    {
        // Arrange: the startup and warning lines of the app, and what an operator's enricher or a
        // library may log: formats, alignments, positional holes, missing properties, structures,
        // sequences, exceptions, every level, odd numbers and offsets.
        var sink = new CollectingSink();
        using var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger();
        var at = new DateTimeOffset(2026, 12, 6, 19, 7, 17, TimeSpan.FromHours(5.5)).AddTicks(5_467_911);
        logger.Information("Room '{Room}' (host {Host}): at most {MaxActive} active, {Rate:0.00} per s, on {On}", "default", "*", 100, 12.3456, true);
        logger.Warning("{Count:x8} hex, {Ratio:P1} percent, {Big} big, {Small} small", 255, 0.125, long.MaxValue, 1e-300);
        logger.Error("Not a number {Nan}, infinite {Inf}, negative {Negative}", double.NaN, double.PositiveInfinity, -0.0);
        logger.Debug("Aligned {Name,10} and {Other,-5}", "a", "b");
        logger.Verbose("Positional {0} and {1}", "a", 2);
        logger.Fatal("Missing {Absent} and {{escaped}} braces {Present}", "here");
        logger.Information("Literal {Name:l} and json {Json:j}", "plain \"text\"", "x");
        logger.Information("Structured {@Point} and {Items}", new { X = 1, Y = "two" }, new[] { 1, 2, 3 });
        logger.Information("Twice {Value:0.0} and {Value:0.00}", 1.25);
        logger.Information("Date {When} and char {Char} and guid {Guid}", at, 'c', Guid.Empty);
        logger.Warning(new InvalidOperationException("broken \"thing\""), "Failed {Thing}", "x");
        logger.ForContext("Extra", 42).ForContext("Odd name \"q\"", "v").Information("Plain text, no holes");
        var events = sink.Events.Select(e => new LogEvent(at, e.Level, e.Exception, e.MessageTemplate, e.Properties.Select(p => new LogEventProperty(p.Key, p.Value)))).ToList();
        events.Add(new LogEvent(at, LogEventLevel.Information, null, events[0].MessageTemplate, [], new ActivityTraceId(), new ActivitySpanId()));

        // Act + Assert
        AssertSameAsOracle(events);
    }

    [Fact]
    public async Task Format_RequestLine_AllocatesNothingOnceOptimized()
    {
        // Arrange
        var formatter = new JsonLineFormatter();
        var line = await RequestLineAsync("/products/42", 200, new WaitingRoomRequestFeature { Decision = "active", Room = "default", Visitor = "Xb_u9zHG" }, traced: false);
        using var writer = new StreamWriter(Stream.Null, new UTF8Encoding(false), 64 * 1024);

        // Act: rounds of 1,000 lines until the JIT's optimized code runs (its first, unoptimized
        // code boxes a little); JsonFormatter allocates about 900 bytes a line in every round.
        var allocated = long.MaxValue;
        var watch = Stopwatch.StartNew();
        while (allocated != 0 && watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1_000; i++)
            {
                formatter.Format(line, writer);
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        // Assert
        Assert.Equal(0, allocated);
    }

    private static void AssertSameAsOracle(IEnumerable<LogEvent> events)
    {
        var formatter = new JsonLineFormatter();
        foreach (var logEvent in events)
        {
            var expected = new StringWriter();
            s_oracle.Format(logEvent, expected);
            var actual = new StringWriter();
            formatter.Format(logEvent, actual);
            Assert.Equal(expected.ToString(), actual.ToString());
        }
    }

    /// <summary>One request line as the request log middleware makes it, caught by a sink.</summary>
    private static async Task<LogEvent> RequestLineAsync(string path, int status, WaitingRoomRequestFeature feature, bool traced)
    {
        var sink = new CollectingSink();
        using var logger = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
        var context = new DefaultHttpContext { TraceIdentifier = "0HNQJPGIKGKOB:00000001" };
        context.Request.Method = "GET";
        context.Request.Path = "/" + path;
        context.Features.Set(feature);
        using var activity = traced ? new Activity("request").Start() : null;
        await new RequestLog(c => { c.Response.StatusCode = status; return Task.CompletedTask; }, logger).InvokeAsync(context);
        return Assert.Single(sink.Events);
    }

    private sealed class CollectingSink : ILogEventSink
    {
        public List<LogEvent> Events { get; } = [];

        public void Emit(LogEvent logEvent) => Events.Add(logEvent);
    }
}
