using System.Diagnostics.Metrics;
using WaitingRoom.Operations;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Operations;

/// <summary>
/// The exporter, each test on its own meter so they run in parallel; every exposition is read back
/// through the strict <see cref="PrometheusText"/>, whose own rejections are tested at the end.
/// </summary>
public sealed class PrometheusExporterTests
{
    private static Meter NewMeter() => new($"WaitingRoom.Tests.Prometheus.{Guid.NewGuid():N}");

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    private static PrometheusText Scrape(PrometheusExporter exporter) => PrometheusText.Parse(exporter.Render());

    [Fact]
    public void Render_CounterWithDescriptionAndTags_ExactExposition()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var counter = meter.CreateCounter<long>("wr_admissions", description: "Visitors let in.");

        // Act
        counter.Add(2, Tag("room", "b"));
        counter.Add(3, Tag("room", "a"));
        counter.Add(4, Tag("room", "a"));
        var text = exporter.Render();

        // Assert
        Assert.Equal(
            "# HELP wr_admissions_total Visitors let in.\n" +
            "# TYPE wr_admissions_total counter\n" +
            "wr_admissions_total{room=\"a\"} 7\n" +
            "wr_admissions_total{room=\"b\"} 2\n",
            text);
        Assert.Equal("counter", PrometheusText.Parse(text).Family("wr_admissions_total").Type);
    }

    [Fact]
    public void Render_CounterNameEndsWithTotal_NoSecondSuffix()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var counter = meter.CreateCounter<int>("wr_requests_total");

        // Act
        counter.Add(1);
        var scrape = Scrape(exporter);

        // Assert
        Assert.Equal(1, scrape.Value("wr_requests_total"));
        Assert.Equal(["wr_requests_total"], scrape.Families.Select(f => f.Name));
    }

    [Fact]
    public void Render_SameTagsInAnotherOrder_OneSeries()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var counter = meter.CreateCounter<long>("wr_decisions");

        // Act
        counter.Add(1, Tag("room", "a"), Tag("decision", "admit"));
        counter.Add(10, Tag("decision", "admit"), Tag("room", "a"));
        counter.Add(100, Tag("room", "a"), Tag("decision", "admit"));
        var text = exporter.Render();

        // Assert
        var sample = Assert.Single(PrometheusText.Parse(text).Samples("wr_decisions_total"));
        Assert.Equal(111, sample.Value);
        Assert.Contains("wr_decisions_total{decision=\"admit\",room=\"a\"} 111\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UpDownCounter_GaugeWithRunningSum()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var active = meter.CreateUpDownCounter<long>("wr_active_visitors");
        var load = meter.CreateUpDownCounter<double>("wr_load");

        // Act
        active.Add(5);
        active.Add(-7);
        load.Add(0.25);
        load.Add(0.5);
        var scrape = Scrape(exporter);

        // Assert
        Assert.Equal("gauge", scrape.Family("wr_active_visitors").Type);
        Assert.Equal(-2, scrape.Value("wr_active_visitors"));
        Assert.Equal(0.75, scrape.Value("wr_load"));
    }

    [Fact]
    public void Render_SynchronousGauge_LastValuePerSeries()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var gauge = meter.CreateGauge<int>("wr_promotion_rate");

        // Act
        gauge.Record(40, Tag("room", "a"));
        gauge.Record(12, Tag("room", "a"));
        gauge.Record(7, Tag("room", "b"));
        var scrape = Scrape(exporter);

        // Assert
        Assert.Equal("gauge", scrape.Family("wr_promotion_rate").Type);
        Assert.Equal(12, scrape.Value("wr_promotion_rate", ("room", "a")));
        Assert.Equal(7, scrape.Value("wr_promotion_rate", ("room", "b")));
    }

    [Fact]
    public void Render_ObservableInstruments_CallbackValuesWithTheirOwnTags()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        meter.CreateObservableCounter("wr_promoted", () => new Measurement<long>(42, Tag("room", "a")));
        meter.CreateObservableUpDownCounter("wr_waiting", () => new Measurement<int>(-3, Tag("room", "a")));
        meter.CreateObservableGauge("wr_wait_estimate_seconds", () => (Measurement<double>[])[new(1.5, Tag("room", "a")), new(90, Tag("room", "b"))]);

        // Act
        var first = Scrape(exporter);
        var second = Scrape(exporter);

        // Assert
        foreach (var scrape in (PrometheusText[])[first, second])
        {
            Assert.Equal("counter", scrape.Family("wr_promoted_total").Type);
            Assert.Equal(42, scrape.Value("wr_promoted_total", ("room", "a")));
            Assert.Equal("gauge", scrape.Family("wr_waiting").Type);
            Assert.Equal(-3, scrape.Value("wr_waiting", ("room", "a")));
            Assert.Equal("gauge", scrape.Family("wr_wait_estimate_seconds").Type);
            Assert.Equal(1.5, scrape.Value("wr_wait_estimate_seconds", ("room", "a")));
            Assert.Equal(90, scrape.Value("wr_wait_estimate_seconds", ("room", "b")));
        }
    }

    [Fact]
    public void Render_ObservableSeriesNoLongerReported_Dropped()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var rooms = new List<string> { "a", "b" };
        meter.CreateObservableGauge("wr_queue_length", () => rooms.Select(r => new Measurement<long>(r.Length * 10, Tag("room", r))));
        var before = Scrape(exporter);

        // Act
        rooms.Remove("b");
        var after = Scrape(exporter);

        // Assert
        Assert.Equal(2, before.Samples("wr_queue_length").Count());
        var sample = Assert.Single(after.Samples("wr_queue_length"));
        Assert.Equal("a", sample.Labels["room"]);
    }

    [Fact]
    public void Render_HistogramDefaultBoundaries_CumulativeSecondsBuckets()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var histogram = meter.CreateHistogram<double>("wr_decision_duration_seconds");
        double[] values = [0.0005, 0.003, 0.2, 7, 100];

        // Act
        foreach (var value in values)
        {
            histogram.Record(value, Tag("room", "a"));
        }

        var scrape = Scrape(exporter);

        // Assert
        var buckets = scrape.Samples("wr_decision_duration_seconds_bucket").ToList();
        Assert.Equal(
            ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"],
            buckets.Select(b => b.Labels["le"]));
        Assert.Equal([1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 5], buckets.Select(b => b.Value));
        Assert.Equal(values.Sum(), scrape.Value("wr_decision_duration_seconds_sum", ("room", "a")));
        Assert.Equal(5, scrape.Value("wr_decision_duration_seconds_count", ("room", "a")));
        Assert.Equal("histogram", scrape.Family("wr_decision_duration_seconds").Type);
    }

    [Fact]
    public void Render_HistogramWithAdvice_AdvisedBoundariesAndIntegerSum()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var histogram = meter.CreateHistogram("wr_batch_size", unit: null, description: null, tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 5, 10] });

        // Act
        foreach (var value in (int[])[1, 5, 6, 50])
        {
            histogram.Record(value);
        }

        var text = exporter.Render();

        // Assert
        var scrape = PrometheusText.Parse(text);
        Assert.Equal(["1", "5", "10", "+Inf"], scrape.Samples("wr_batch_size_bucket").Select(b => b.Labels["le"]));
        Assert.Equal([1, 2, 3, 4], scrape.Samples("wr_batch_size_bucket").Select(b => b.Value));
        Assert.Contains("wr_batch_size_sum 62\nwr_batch_size_count 4\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_HistogramAdviceEndsWithInfinity_OneInfBucket()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var histogram = meter.CreateHistogram("wr_wait_seconds", unit: null, description: null, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [60, double.PositiveInfinity] });

        // Act
        histogram.Record(30);
        histogram.Record(120);
        var scrape = Scrape(exporter);

        // Assert
        Assert.Equal(["60", "+Inf"], scrape.Samples("wr_wait_seconds_bucket").Select(b => b.Labels["le"]));
        Assert.Equal([1, 2], scrape.Samples("wr_wait_seconds_bucket").Select(b => b.Value));
    }

    [Fact]
    public void Render_HistogramTagNamedLe_RenamedExportedLe()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var histogram = meter.CreateHistogram<double>("wr_odd_seconds");

        // Act
        histogram.Record(0.2, Tag("le", "mine"));
        var scrape = Scrape(exporter);

        // Assert
        Assert.Equal(1, scrape.Value("wr_odd_seconds_bucket", ("exported_le", "mine"), ("le", "0.25")));
        Assert.Equal(1, scrape.Value("wr_odd_seconds_count", ("exported_le", "mine")));
    }

    [Fact]
    public void Render_InvalidNamesAndTagValues_SanitizedAndEscaped()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var dotted = meter.CreateUpDownCounter<int>("wr.queue-length");
        var leadingDigit = meter.CreateCounter<int>("2xx.responses");
        const string awkward = "a\"b\\c\nd";

        // Act
        dotted.Add(1, Tag("http.route", "/x"), Tag("__secret", awkward), Tag("9lives", null));
        leadingDigit.Add(3, Tag("code", 200), Tag("ratio", 1.5), Tag("open", true));
        var text = exporter.Render();

        // Assert
        var scrape = PrometheusText.Parse(text);
        Assert.Equal(1, scrape.Value("wr_queue_length", ("http_route", "/x"), ("_secret", awkward), ("_9lives", "")));
        Assert.Equal(3, scrape.Value("_2xx_responses_total", ("code", "200"), ("ratio", "1.5"), ("open", "True")));
        Assert.Contains("_secret=\"a\\\"b\\\\c\\nd\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_TwoTagsWithOneSanitizedName_OneLabelFirstKeyWins()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var counter = meter.CreateCounter<long>("wr_clash");

        // Act
        counter.Add(1, Tag("a_b", "underscore"), Tag("a.b", "dot"));
        var scrape = Scrape(exporter);

        // Assert
        var sample = Assert.Single(scrape.Samples("wr_clash_total"));
        Assert.Equal("dot", Assert.Single(sample.Labels).Value);
    }

    [Fact]
    public void Render_TagValuesThatPrintTheSame_OneSeries()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var counter = meter.CreateCounter<long>("wr_responses");

        // Act
        counter.Add(1, Tag("code", 200));
        counter.Add(2, Tag("code", "200"));
        counter.Add(4, Tag("code", 200L));
        var scrape = Scrape(exporter);

        // Assert
        var sample = Assert.Single(scrape.Samples("wr_responses_total"));
        Assert.Equal(7, sample.Value);
    }

    [Fact]
    public void Render_DescriptionWithBackslashAndLineBreaks_EscapedHelp()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var gauge = meter.CreateGauge<int>("wr_documented", unit: null, description: "first\r\nsecond \\ \"third\"");

        // Act
        gauge.Record(1);
        var text = exporter.Render();

        // Assert
        Assert.StartsWith("# HELP wr_documented first\\nsecond \\\\ \"third\"\n", text, StringComparison.Ordinal);
        Assert.Equal("first\nsecond \\ \"third\"", PrometheusText.Parse(text).Family("wr_documented").Help);
    }

    [Fact]
    public void Render_InstrumentsCreatedBeforeAndAfterExporter_BothExported()
    {
        // Arrange
        using var meter = NewMeter();
        var before = meter.CreateCounter<long>("wr_before");
        using var exporter = new PrometheusExporter(meter.Name);
        var after = meter.CreateCounter<long>("wr_after");

        // Act
        before.Add(1);
        after.Add(2);
        var scrape = Scrape(exporter);

        // Assert
        Assert.Equal(1, scrape.Value("wr_before_total"));
        Assert.Equal(2, scrape.Value("wr_after_total"));
    }

    [Fact]
    public void Render_OtherMeterSameInstrumentName_NotExported()
    {
        // Arrange
        using var meter = NewMeter();
        using var other = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var mine = meter.CreateCounter<long>("wr_hits");
        var theirs = other.CreateCounter<long>("wr_hits");

        // Act
        mine.Add(1);
        theirs.Add(1000);
        var scrape = Scrape(exporter);

        // Assert
        Assert.Equal(1, scrape.Value("wr_hits_total"));
    }

    [Fact]
    public void Render_TwoMetersSameNameWithPredicate_OnlyTheChosenMeter()
    {
        // Arrange
        using var meter = NewMeter();
        using var twin = new Meter(meter.Name);
        using var byName = new PrometheusExporter(meter.Name);
        using var byInstance = new PrometheusExporter(m => ReferenceEquals(m, meter));
        var mine = meter.CreateCounter<long>("wr_hits");
        var twins = twin.CreateCounter<long>("wr_hits");

        // Act
        mine.Add(1);
        twins.Add(1000);

        // Assert
        Assert.Equal(1001, Scrape(byName).Value("wr_hits_total"));
        Assert.Equal(1, Scrape(byInstance).Value("wr_hits_total"));
    }

    [Fact]
    public void Render_SameNameOtherKind_SecondInstrumentNotExported()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var counter = meter.CreateCounter<long>("wr_things");
        var gauge = meter.CreateUpDownCounter<long>("wr_things_total");

        // Act
        counter.Add(2);
        gauge.Add(-5);
        var scrape = Scrape(exporter);

        // Assert
        var family = Assert.Single(scrape.Families);
        Assert.Equal("counter", family.Type);
        Assert.Equal(2, scrape.Value("wr_things_total"));
    }

    [Fact]
    public void Render_InstrumentWithoutMeasurements_WritesNothing()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        meter.CreateCounter<long>("wr_idle", description: "Never used.");
        meter.CreateHistogram<double>("wr_idle_seconds");

        // Act
        var text = exporter.Render();

        // Assert
        Assert.Equal("", text);
        Assert.Empty(PrometheusText.Parse(text).Families);
    }

    [Fact]
    public void Render_CreatedOutOfOrder_FamiliesAndSeriesSortedAndStable()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var b = meter.CreateGauge<int>("wr_b");
        var a = meter.CreateGauge<int>("wr_a");
        b.Record(1, Tag("room", "z"));
        b.Record(2, Tag("room", "m"));
        a.Record(3);

        // Act
        var first = exporter.Render();
        var second = exporter.Render();

        // Assert
        Assert.Equal("# TYPE wr_a gauge\nwr_a 3\n# TYPE wr_b gauge\nwr_b{room=\"m\"} 2\nwr_b{room=\"z\"} 1\n", first);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Render_DoubleValues_ShortestRoundTripAndGoSpecials()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var gauge = meter.CreateGauge<double>("wr_value");

        // Act
        gauge.Record(0.1, Tag("v", "tenth"));
        gauge.Record(1e21, Tag("v", "big"));
        gauge.Record(double.PositiveInfinity, Tag("v", "pinf"));
        gauge.Record(double.NegativeInfinity, Tag("v", "ninf"));
        gauge.Record(double.NaN, Tag("v", "nan"));
        var text = exporter.Render();

        // Assert
        Assert.Contains("wr_value{v=\"tenth\"} 0.1\n", text, StringComparison.Ordinal);
        Assert.Contains("wr_value{v=\"big\"} 1E+21\n", text, StringComparison.Ordinal);
        Assert.Contains("wr_value{v=\"pinf\"} +Inf\n", text, StringComparison.Ordinal);
        Assert.Contains("wr_value{v=\"ninf\"} -Inf\n", text, StringComparison.Ordinal);
        Assert.Contains("wr_value{v=\"nan\"} NaN\n", text, StringComparison.Ordinal);
        Assert.Equal(1e21, PrometheusText.Parse(text).Value("wr_value", ("v", "big")));
    }

    [Fact]
    public void Render_EveryMeasurementType_Exported()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);

        // Act
        meter.CreateCounter<byte>("wr_byte").Add(1);
        meter.CreateCounter<short>("wr_short").Add(2);
        meter.CreateCounter<int>("wr_int").Add(3);
        meter.CreateCounter<long>("wr_long").Add(4_000_000_000_000_000_000);
        meter.CreateCounter<float>("wr_float").Add(0.5f);
        meter.CreateCounter<double>("wr_double").Add(0.25);
        meter.CreateCounter<decimal>("wr_decimal").Add(1.25m);
        var text = exporter.Render();

        // Assert
        var scrape = PrometheusText.Parse(text);
        Assert.Equal(1, scrape.Value("wr_byte_total"));
        Assert.Equal(2, scrape.Value("wr_short_total"));
        Assert.Equal(3, scrape.Value("wr_int_total"));
        Assert.Contains("wr_long_total 4000000000000000000\n", text, StringComparison.Ordinal);
        Assert.Equal(0.5, scrape.Value("wr_float_total"));
        Assert.Equal(0.25, scrape.Value("wr_double_total"));
        Assert.Equal(1.25, scrape.Value("wr_decimal_total"));
    }

    [Fact]
    public void Add_EightThreadsConcurrently_ExactTotals()
    {
        // Arrange
        const int Threads = 8;
        const int PerThread = 100_000;
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var longs = meter.CreateCounter<long>("wr_long");
        var doubles = meter.CreateCounter<double>("wr_double");
        var histogram = meter.CreateHistogram<double>("wr_seconds");
        using var start = new Barrier(Threads);

        // Act
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var room = Tag("room", "a");
            var node = Tag("node", t % 2 == 0 ? "x" : "y");
            start.SignalAndWait();
            for (var i = 0; i < PerThread; i++)
            {
                // Half the calls send the tags in the other order: same series either way. Every
                // value is exact in binary, so any lost update would show in the totals.
                if (i % 2 == 0)
                {
                    longs.Add(1, room, node);
                }
                else
                {
                    longs.Add(1, node, room);
                }

                doubles.Add(0.5, room);
                histogram.Record(i % 2 == 0 ? 0.00390625 : 3, room);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var scrape = Scrape(exporter);

        // Assert
        Assert.Equal(Threads / 2 * PerThread, scrape.Value("wr_long_total", ("node", "x"), ("room", "a")));
        Assert.Equal(Threads / 2 * PerThread, scrape.Value("wr_long_total", ("node", "y"), ("room", "a")));
        Assert.Equal(Threads * PerThread * 0.5, scrape.Value("wr_double_total", ("room", "a")));
        Assert.Equal(Threads * PerThread / 2, scrape.Value("wr_seconds_bucket", ("room", "a"), ("le", "0.005")));
        Assert.Equal(Threads * PerThread, scrape.Value("wr_seconds_count", ("room", "a")));
        Assert.Equal(Threads * PerThread / 2 * (0.00390625 + 3), scrape.Value("wr_seconds_sum", ("room", "a")));
    }

    [Fact]
    public void Add_KnownSeries_AllocatesNothing()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        var counter = meter.CreateCounter<long>("wr_hot");
        var histogram = meter.CreateHistogram<double>("wr_hot_seconds");
        var room = Tag("room", "a");
        var decision = Tag("decision", "admit");
        for (var i = 0; i < 1000; i++)
        {
            counter.Add(1, room, decision);
            counter.Add(1, decision, room);
            histogram.Record(0.01, room);
        }

        // Act
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            counter.Add(1, room, decision);
            counter.Add(1, decision, room);
            histogram.Record(0.01, room);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Assert
        Assert.Equal(0, allocated);
        Assert.Equal(22_000, Scrape(exporter).Value("wr_hot_total", ("decision", "admit"), ("room", "a")));
    }

    [Fact]
    public void Dispose_ThenMeasure_NotCounted()
    {
        // Arrange
        using var meter = NewMeter();
        var exporter = new PrometheusExporter(meter.Name);
        var counter = meter.CreateCounter<long>("wr_after_dispose");
        counter.Add(1);

        // Act
        exporter.Dispose();
        counter.Add(5);
        var scrape = Scrape(exporter);

        // Assert
        Assert.Equal(1, scrape.Value("wr_after_dispose_total"));
    }

    [Fact]
    public void Render_ObservableCallbackThrows_RenderThrows()
    {
        // Arrange
        using var meter = NewMeter();
        using var exporter = new PrometheusExporter(meter.Name);
        meter.CreateObservableGauge("wr_broken", long () => throw new InvalidOperationException("store down"));

        // Act
        var error = Record.Exception(exporter.Render);

        // Assert
        var aggregate = Assert.IsType<AggregateException>(error);
        Assert.IsType<InvalidOperationException>(Assert.Single(aggregate.InnerExceptions));
    }

    [Fact]
    public void Parse_CanonicalExposition_FamiliesSamplesAndUnescapedText()
    {
        // Arrange
        const string Text =
            "# A plain comment is ignored\n" +
            "# HELP wr_requests_total Requests, with \\\\ and\\nnewline.\n" +
            "# TYPE wr_requests_total counter\n" +
            "wr_requests_total{path=\"/a\\\"b\\\\c\\nd\",code=\"200\",} 1027 1700000000000\n" +
            "wr_requests_total 0\n" +
            "# TYPE wr_temperature gauge\n" +
            "wr_temperature{} -1.5e-3\n" +
            "# HELP wr_metadata_only Declared but never measured.\n" +
            "wr_untyped NaN\n" +
            "# TYPE wr_seconds histogram\n" +
            "wr_seconds_bucket{le=\"0.5\"} 1\n" +
            "wr_seconds_bucket{le=\"+Inf\"} 3\n" +
            "wr_seconds_sum 2.75\n" +
            "wr_seconds_count 3\n" +
            "# TYPE wr_latency summary\n" +
            "wr_latency{quantile=\"0.99\"} .5\n" +
            "wr_latency_sum 10\n" +
            "wr_latency_count 20\n";

        // Act
        var scrape = PrometheusText.Parse(Text);

        // Assert
        Assert.Equal(
            [("wr_requests_total", "counter"), ("wr_temperature", "gauge"), ("wr_metadata_only", "untyped"), ("wr_untyped", "untyped"), ("wr_seconds", "histogram"), ("wr_latency", "summary")],
            scrape.Families.Select(f => (f.Name, f.Type)));
        Assert.Equal("Requests, with \\ and\nnewline.", scrape.Family("wr_requests_total").Help);
        var labelled = scrape.Samples("wr_requests_total").First();
        Assert.Equal("/a\"b\\c\nd", labelled.Labels["path"]);
        Assert.Equal(1700000000000, labelled.Timestamp);
        Assert.Equal(1027, scrape.Value("wr_requests_total", ("code", "200"), ("path", "/a\"b\\c\nd")));
        Assert.Equal(0, scrape.Value("wr_requests_total"));
        Assert.Equal(-0.0015, scrape.Value("wr_temperature"));
        Assert.True(double.IsNaN(scrape.Value("wr_untyped")));
        Assert.Equal("wr_seconds", scrape.Samples("wr_seconds_sum").Single().Family);
        Assert.Equal(0.5, scrape.Value("wr_latency", ("quantile", "0.99")));
        Assert.Equal(11, scrape.AllSamples.Count);
    }

    [Fact]
    public void Parse_EmptyText_NoFamilies()
    {
        // Arrange
        const string Text = "";

        // Act
        var scrape = PrometheusText.Parse(Text);

        // Assert
        Assert.Empty(scrape.Families);
        Assert.Empty(scrape.AllSamples);
    }

    [Fact]
    public void Value_LabelsNotExactlyMatching_ThrowsAndTryValueFalse()
    {
        // Arrange
        var scrape = PrometheusText.Parse("# TYPE wr_hits_total counter\nwr_hits_total{room=\"a\",node=\"x\"} 1\n");

        // Act
        var subset = scrape.TryValue("wr_hits_total", out _, ("room", "a"));
        var exact = scrape.TryValue("wr_hits_total", out var value, ("node", "x"), ("room", "a"));
        var missing = Record.Exception(() => scrape.Value("wr_hits_total", ("room", "b")));

        // Assert
        Assert.False(subset);
        Assert.True(exact);
        Assert.Equal(1, value);
        Assert.IsType<KeyNotFoundException>(missing);
        Assert.Contains("node=\"x\",room=\"a\"", missing.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a 1", 1, "final-newline")]
    [InlineData("a 1\r\n", 1, "carriage-return")]
    [InlineData("a 1\n\nb 1\n", 2, "blank-line")]
    [InlineData("a 1\n\n", 2, "blank-line")]
    [InlineData(" a 1\n", 1, "whitespace")]
    [InlineData("a 1 \n", 1, "whitespace")]
    [InlineData("a-b 1\n", 1, "metric-name")]
    [InlineData("1a 1\n", 1, "metric-name")]
    [InlineData("# HELP 1a text\n", 1, "metric-name")]
    [InlineData("# HELP a bad \\t escape\n", 1, "help-escape")]
    [InlineData("# HELP a ends \\\n", 1, "help-escape")]
    [InlineData("a 1\n# HELP a late\n", 2, "help-before-samples")]
    [InlineData("# HELP a one\n# HELP a two\n", 2, "duplicate-help")]
    [InlineData("# TYPE a gauges\n", 1, "type-value")]
    [InlineData("# TYPE a\n", 1, "type-value")]
    [InlineData("a 1\n# TYPE a gauge\n", 2, "type-before-samples")]
    [InlineData("# TYPE a gauge\n# TYPE a gauge\n", 2, "duplicate-type")]
    [InlineData("# TYPE a counter\n", 1, "counter-total")]
    [InlineData("a 1\nb 1\na{x=\"1\"} 2\n", 3, "family-contiguous")]
    [InlineData("# TYPE a gauge\n# TYPE b gauge\na 1\n", 3, "family-contiguous")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nb 1\nh_sum 1\n", 4, "family-contiguous")]
    [InlineData("a\n", 1, "sample-syntax")]
    [InlineData("a  1\n", 1, "sample-syntax")]
    [InlineData("a 1 2 3\n", 1, "sample-syntax")]
    [InlineData("a{x=\"1\" 1\n", 1, "sample-syntax")]
    [InlineData("a{x=1} 1\n", 1, "sample-syntax")]
    [InlineData("a{x=\"1\"y=\"2\"} 1\n", 1, "sample-syntax")]
    [InlineData("a{x:y=\"1\"} 1\n", 1, "label-name")]
    [InlineData("a{__x=\"1\"} 1\n", 1, "label-name")]
    [InlineData("a{1x=\"1\"} 1\n", 1, "label-name")]
    [InlineData("a{x=\"\\t\"} 1\n", 1, "label-escape")]
    [InlineData("a{x=\"1\",x=\"2\"} 1\n", 1, "label-duplicate")]
    [InlineData("a 1,5\n", 1, "value")]
    [InlineData("a Inf\n", 1, "value")]
    [InlineData("a 0x10\n", 1, "value")]
    [InlineData("a 1 1.5\n", 1, "timestamp")]
    [InlineData("a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n", 2, "duplicate-series")]
    [InlineData("# TYPE a_total counter\na_total -1\n", 2, "counter-value")]
    [InlineData("# TYPE a_total counter\na_total NaN\n", 2, "counter-value")]
    [InlineData("# TYPE h histogram\nh_bucket 1\n", 2, "bucket-le")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"NaN\"} 1\n", 2, "bucket-le")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum{le=\"+Inf\"} 1\n", 3, "bucket-le")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", 3, "bucket-le")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} -1\n", 2, "bucket-value")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 5\nh_bucket{le=\"2\"} 4\nh_bucket{le=\"+Inf\"} 5\nh_sum 1\nh_count 5\n", 3, "bucket-cumulative")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", 2, "bucket-inf")]
    [InlineData("# TYPE h histogram\nh_bucket{x=\"a\",le=\"+Inf\"} 1\nh_sum{x=\"a\"} 1\nh_count{x=\"a\"} 1\nh_bucket{x=\"b\",le=\"+Inf\"} 1\nh_count{x=\"b\"} 1\n", 5, "histogram-sum")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n", 2, "histogram-count")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", 4, "histogram-count")]
    [InlineData("# TYPE s summary\ns 1\n", 2, "summary-quantile")]
    public void Parse_RuleBroken_ThrowsNamingLineAndRule(string text, int line, string rule)
    {
        // Arrange
        var expected = $"line {line}: {rule}:";

        // Act
        var error = Record.Exception(() => PrometheusText.Parse(text));

        // Assert
        Assert.IsType<FormatException>(error);
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }
}
