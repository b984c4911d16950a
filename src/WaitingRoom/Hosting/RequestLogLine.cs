using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace WaitingRoom.Hosting;

/// <summary>
/// What one request's log line says, captured on the request's thread and formatted later by the
/// background writer (<see cref="BackgroundConsoleSink"/>). It carries plain fields only: building
/// a Serilog event for every request (a property list, boxed numbers, the log scope of the host)
/// was the largest part of the request log's cost.
/// </summary>
internal sealed record RequestLogEntry(
    DateTimeOffset Timestamp,
    string Method,
    string Path,
    int StatusCode,
    double ElapsedMs,
    string Decision,
    string Room,
    string Visitor,
    string RequestId,
    string ConnectionId,
    ActivityTraceId? TraceId,
    ActivitySpanId? SpanId);

/// <summary>
/// A <see cref="RequestLogEntry"/> as one JSON line, exactly the line the same event would give
/// through Serilog and <see cref="JsonLogLine"/>: the same fields, the same rendered message, the
/// same properties in the same order (the message's, then <c>EventId</c>, <c>SourceContext</c> and
/// the host's request scope: <c>RequestId</c>, <c>RequestPath</c>, <c>ConnectionId</c>).
/// </summary>
internal static class RequestLogLine
{
    /// <summary>The message template of the request line (also the one <c>RequestLogMiddleware</c> logs through ILogger).</summary>
    public const string Template = "{Method} {Path} {StatusCode} {ElapsedMs:0.0} ms {Decision} room={Room} visitor={Visitor}";

    /// <summary>The logger category, <c>SourceContext</c> in the line.</summary>
    public const string SourceContext = "WaitingRoom.Operations.RequestLogMiddleware";

    /// <summary>The event id of the request line.</summary>
    public const int EventId = 300;

    /// <summary>The event name of the request line.</summary>
    public const string EventName = "Request";

    /// <summary>
    /// Writes <paramref name="entry"/> and a newline to <paramref name="output"/>. <paramref name="scratch"/>
    /// is the caller's buffer for the rendered message, grown as needed (one writer thread owns both).
    /// </summary>
    public static void Write(RequestLogEntry entry, IBufferWriter<byte> output, ref Utf8JsonWriter? writer, ref char[] scratch)
    {
        var json = JsonLogLine.Begin(output, ref writer, entry.Timestamp, "Information", Template, Render(entry, ref scratch), entry.TraceId, entry.SpanId);
        json.WriteStartObject("Properties");
        json.WriteString("Method", entry.Method);
        json.WriteString("Path", entry.Path);
        json.WriteNumber("StatusCode", entry.StatusCode);
        json.WriteNumber("ElapsedMs", entry.ElapsedMs);
        json.WriteString("Decision", entry.Decision);
        json.WriteString("Room", entry.Room);
        json.WriteString("Visitor", entry.Visitor);
        json.WriteStartObject("EventId");
        json.WriteNumber("Id", EventId);
        json.WriteString("Name", EventName);
        json.WriteEndObject();
        json.WriteString("SourceContext", SourceContext);
        json.WriteString("RequestId", entry.RequestId);
        json.WriteString("RequestPath", entry.Path);
        json.WriteString("ConnectionId", entry.ConnectionId);
        json.WriteEndObject();
        JsonLogLine.End(json, output);
    }

    /// <summary>The template rendered as Serilog renders it: strings in double quotes (inner quotes as \"), the time as 0.0.</summary>
    private static ReadOnlySpan<char> Render(RequestLogEntry entry, ref char[] scratch)
    {
        var length = 0;
        Quoted(entry.Method, ref scratch, ref length);
        Plain(" ", ref scratch, ref length);
        Quoted(entry.Path, ref scratch, ref length);
        Plain(" ", ref scratch, ref length);
        Plain(entry.StatusCode.ToString(CultureInfo.InvariantCulture), ref scratch, ref length);
        Plain(" ", ref scratch, ref length);
        Plain(entry.ElapsedMs.ToString("0.0", CultureInfo.InvariantCulture), ref scratch, ref length);
        Plain(" ms ", ref scratch, ref length);
        Quoted(entry.Decision, ref scratch, ref length);
        Plain(" room=", ref scratch, ref length);
        Quoted(entry.Room, ref scratch, ref length);
        Plain(" visitor=", ref scratch, ref length);
        Quoted(entry.Visitor, ref scratch, ref length);
        return scratch.AsSpan(0, length);
    }

    private static void Quoted(string text, ref char[] scratch, ref int length)
    {
        Plain("\"", ref scratch, ref length);
        var start = 0;
        for (var i = text.IndexOf('"'); i >= 0; i = text.IndexOf('"', start))
        {
            Plain(text.AsSpan(start, i - start), ref scratch, ref length);
            Plain("\\\"", ref scratch, ref length);
            start = i + 1;
        }

        Plain(text.AsSpan(start), ref scratch, ref length);
        Plain("\"", ref scratch, ref length);
    }

    private static void Plain(ReadOnlySpan<char> text, ref char[] scratch, ref int length)
    {
        if (length + text.Length > scratch.Length)
        {
            Array.Resize(ref scratch, Math.Max(scratch.Length * 2, length + text.Length));
        }

        text.CopyTo(scratch.AsSpan(length));
        length += text.Length;
    }
}
