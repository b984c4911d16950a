using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace WaitingRoom.Operations;

/// <summary>
/// Exposes the instruments of our own <see cref="Meter"/> in the Prometheus text exposition
/// format 0.0.4. A <see cref="MeterListener"/> aggregates every measurement in memory: counters
/// and up-down counters as running sums, gauges as their last value, observable instruments as
/// what their callback returns at render time, histograms as cumulative buckets. We write it
/// ourselves because neither prometheus-net nor an OpenTelemetry exporter is on our registry, and
/// the BCL listener is all one scrape endpoint needs.
/// </summary>
/// <remarks>
/// Measurement callbacks run on request threads: a series that already exists costs one lock-free
/// dictionary lookup and one interlocked update, and allocates nothing. Observable callbacks run
/// inside <see cref="WriteTo"/>; they must be cheap and must not throw (an exception fails the
/// render). Instruments whose names map to the same Prometheus name share one family when they
/// are of the same kind; a later instrument of another kind under a taken name is not exported.
/// </remarks>
internal sealed class PrometheusExporter : IDisposable
{
    /// <summary>The Content-Type of the text exposition format 0.0.4.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly Func<Meter, bool> _include;
    private readonly ConcurrentDictionary<string, PrometheusFamily> _families = new(StringComparer.Ordinal);
    private readonly Lock _renderLock = new();
    private readonly MeterListener _listener;

    /// <summary>Exports every instrument, present and future, of the meters named <paramref name="meterName"/>.</summary>
    public PrometheusExporter(string meterName)
        : this(meter => string.Equals(meter.Name, meterName, StringComparison.Ordinal))
    {
    }

    /// <summary>
    /// Exports every instrument, present and future, of the meters <paramref name="include"/>
    /// accepts (e.g. one meter instance, when several hosts in a process share a meter name).
    /// </summary>
    public PrometheusExporter(Func<Meter, bool> include)
    {
        ArgumentNullException.ThrowIfNull(include);
        _include = include;
        _listener = new MeterListener { InstrumentPublished = OnInstrumentPublished };
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((PrometheusFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((PrometheusFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((PrometheusFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((PrometheusFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((PrometheusFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((PrometheusFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((PrometheusFamily)state!).Record((double)value, tags));
        _listener.Start();
    }

    /// <summary>
    /// Reads the observable instruments, then writes every family that has at least one series,
    /// sorted by name, each series sorted by its label text: the same state gives the same bytes.
    /// </summary>
    public void WriteTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        lock (_renderLock)
        {
            foreach (var family in _families.Values)
            {
                family.ForgetObservations();
            }

            _listener.RecordObservableInstruments();
            foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                family.WriteTo(writer);
            }
        }
    }

    /// <summary>The exposition as a string, as <see cref="WriteTo"/> writes it.</summary>
    public string Render()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        WriteTo(writer);
        return writer.ToString();
    }

    /// <summary>Stops listening; measurements made afterwards are not counted.</summary>
    public void Dispose() => _listener.Dispose();

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!_include(instrument.Meter) || PrometheusFamily.For(instrument) is not { } candidate)
        {
            return;
        }

        var family = _families.GetOrAdd(candidate.Name, candidate);
        if (family.Accepts(candidate))
        {
            listener.EnableMeasurementEvents(instrument, family);
        }
    }
}
