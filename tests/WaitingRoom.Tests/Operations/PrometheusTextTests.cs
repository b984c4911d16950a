using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Operations;

/// <summary>
/// The strict text-format parser that guards /_wr/metrics (<see cref="PrometheusText"/>): what it
/// reads from a canonical exposition, and each rule of the format it refuses to let pass.
/// </summary>
public sealed class PrometheusTextTests
{
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
