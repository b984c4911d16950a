using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Serilog.Events;

namespace WaitingRoom.Hosting;

/// <summary>
/// One log event as one line of JSON, written straight to UTF-8 (no text writer, no second
/// encoding pass): <c>Timestamp</c>, <c>Level</c>, <c>MessageTemplate</c>, <c>RenderedMessage</c>,
/// <c>TraceId</c>/<c>SpanId</c> when there is an activity, <c>Exception</c> when there is one, and
/// <c>Properties</c> (scalars, sequences, structures, dictionaries). The shape of Serilog's
/// <c>JsonFormatter</c> with a rendered message, at a fraction of its cost, which matters because
/// every proxied request writes one line.
/// </summary>
internal static class JsonLogLine
{
    private static readonly JsonWriterOptions s_options = new()
    {
        // A log line, not HTML: quotes as \" and non-ASCII as is; control characters are still escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>Writes <paramref name="logEvent"/> and a newline to <paramref name="output"/>.</summary>
    public static void Write(LogEvent logEvent, IBufferWriter<byte> output, ref Utf8JsonWriter? writer)
    {
        var json = Begin(output, ref writer, logEvent.Timestamp, LevelName(logEvent.Level), logEvent.MessageTemplate.Text,
            logEvent.RenderMessage(CultureInfo.InvariantCulture), logEvent.TraceId, logEvent.SpanId);
        if (logEvent.Exception is { } exception)
        {
            json.WriteString("Exception", exception.ToString());
        }

        if (logEvent.Properties.Count > 0)
        {
            json.WriteStartObject("Properties");
            foreach (var (name, value) in logEvent.Properties)
            {
                json.WritePropertyName(name);
                WriteValue(json, value);
            }

            json.WriteEndObject();
        }

        End(json, output);
    }

    /// <summary>
    /// Starts a line on <paramref name="output"/> (reusing <paramref name="writer"/>): the opening
    /// brace and the fields every line has, <c>Timestamp</c> to <c>SpanId</c>. The caller adds the
    /// rest and calls <see cref="End"/>.
    /// </summary>
    internal static Utf8JsonWriter Begin(IBufferWriter<byte> output, ref Utf8JsonWriter? writer, DateTimeOffset timestamp, string level,
        string template, ReadOnlySpan<char> rendered, ActivityTraceId? traceId, ActivitySpanId? spanId)
    {
        if (writer is null)
        {
            writer = new Utf8JsonWriter(output, s_options);
        }
        else
        {
            writer.Reset(output);
        }

        writer.WriteStartObject();
        writer.WriteString("Timestamp", timestamp);
        writer.WriteString("Level", level);
        writer.WriteString("MessageTemplate", template);
        writer.WriteString("RenderedMessage", rendered);
        if (traceId is { } trace)
        {
            writer.WriteString("TraceId", trace.ToHexString());
        }

        if (spanId is { } span)
        {
            writer.WriteString("SpanId", span.ToHexString());
        }

        return writer;
    }

    /// <summary>Closes a line begun by <see cref="Begin"/> and ends it with a newline.</summary>
    internal static void End(Utf8JsonWriter writer, IBufferWriter<byte> output)
    {
        writer.WriteEndObject();
        writer.Flush();
        output.Write("\n"u8);
    }

    private static string LevelName(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "Verbose",
        LogEventLevel.Debug => "Debug",
        LogEventLevel.Information => "Information",
        LogEventLevel.Warning => "Warning",
        LogEventLevel.Error => "Error",
        _ => "Fatal",
    };

    private static void WriteValue(Utf8JsonWriter writer, LogEventPropertyValue value)
    {
        switch (value)
        {
            case ScalarValue scalar:
                WriteScalar(writer, scalar.Value);
                break;
            case SequenceValue sequence:
                writer.WriteStartArray();
                foreach (var element in sequence.Elements)
                {
                    WriteValue(writer, element);
                }

                writer.WriteEndArray();
                break;
            case StructureValue structure:
                writer.WriteStartObject();
                foreach (var property in structure.Properties)
                {
                    writer.WritePropertyName(property.Name);
                    WriteValue(writer, property.Value);
                }

                if (structure.TypeTag is { } tag)
                {
                    writer.WriteString("_typeTag", tag);
                }

                writer.WriteEndObject();
                break;
            case DictionaryValue dictionary:
                writer.WriteStartObject();
                foreach (var (key, element) in dictionary.Elements)
                {
                    writer.WritePropertyName(Convert.ToString(key.Value, CultureInfo.InvariantCulture) ?? "null");
                    WriteValue(writer, element);
                }

                writer.WriteEndObject();
                break;
            default:
                writer.WriteStringValue(value.ToString());
                break;
        }
    }

    private static void WriteScalar(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case int number:
                writer.WriteNumberValue(number);
                break;
            case long number:
                writer.WriteNumberValue(number);
                break;
            case double number when double.IsFinite(number):
                writer.WriteNumberValue(number);
                break;
            case float number when float.IsFinite(number):
                writer.WriteNumberValue(number);
                break;
            case decimal number:
                writer.WriteNumberValue(number);
                break;
            case uint or ulong or short or ushort or byte or sbyte:
                writer.WriteRawValue(Convert.ToString(value, CultureInfo.InvariantCulture)!, skipInputValidation: true);
                break;
            case DateTimeOffset time:
                writer.WriteStringValue(time);
                break;
            case DateTime time:
                writer.WriteStringValue(time);
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
