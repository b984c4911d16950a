using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Json;
using WaitingRoom.Operations;

namespace WaitingRoom.Micro;

/// <summary>
/// What the request line costs: the middleware assembling and handing one event to Serilog (a sink
/// that keeps the last event), and one line written as the stdout sink does, by Serilog's
/// JsonFormatter and by the room's JsonLineFormatter (the same characters).
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class RequestLogBenchmarks : IDisposable
{
    private readonly LastEventSink _sink = new();
    private RequestLog _middleware = null!;
    private DefaultHttpContext _context = null!;
    private LogEvent _event = null!;
    private readonly JsonFormatter _json = new(renderMessage: true, formatProvider: CultureInfo.InvariantCulture);
    private readonly JsonLineFormatter _line = new();
    private readonly StreamWriter _writer = new(Stream.Null, new UTF8Encoding(false), 64 * 1024);

    [GlobalSetup]
    public void Setup()
    {
        var logger = new LoggerConfiguration().MinimumLevel.Information().WriteTo.Sink(_sink).CreateLogger();
        _middleware = new RequestLog(_ => Task.CompletedTask, logger);
        _context = new DefaultHttpContext();
        _context.Request.Method = "GET";
        _context.Request.Path = "/products/42";
        _context.Response.StatusCode = 200;
        _context.TraceIdentifier = "0HN8ABCDEFGHI:00000001";
        _middleware.InvokeAsync(_context).GetAwaiter().GetResult();
        _event = _sink.Last!;
    }

    [Benchmark(Baseline = true)]
    public Task Middleware() => _middleware.InvokeAsync(_context);

    [Benchmark]
    public void FormatJsonFormatter()
    {
        _json.Format(_event, _writer);
    }

    [Benchmark]
    public void FormatLine() => _line.Format(_event, _writer);

    public void Dispose()
    {
        _writer.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed class LastEventSink : ILogEventSink
    {
        public LogEvent? Last;
        public void Emit(LogEvent logEvent) => Last = logEvent;
    }
}
