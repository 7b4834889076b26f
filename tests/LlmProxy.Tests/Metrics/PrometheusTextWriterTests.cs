using LlmProxy.Metrics;

namespace LlmProxy.Tests.Metrics;

/// <summary>
/// Golden strings of the text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/):
/// every byte of a scrape is pinned, so a change in escaping, ordering, spacing or number format fails here.
/// </summary>
public class PrometheusTextWriterTests
{
    [Fact]
    public void A_counter_without_labels_reads_zero_before_the_first_event_then_its_total()
    {
        var registry = new MetricsRegistry();
        var counter = registry.CreateCounter("jobs_total", "Jobs done.");
        Assert.Equal("# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 0\n", Scrape.Of(registry));

        counter.Labels().Inc();
        counter.Labels().Inc(41);
        Assert.Equal("# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 42\n", Scrape.Of(registry));
    }

    [Fact]
    public void Labelled_series_are_written_in_creation_order_with_labels_in_declared_order()
    {
        var registry = new MetricsRegistry();
        var counter = registry.CreateCounter("http_requests_total", "Requests.", "method", "path", "status");
        counter.Labels("POST", "/proxy", "200").Inc(3);
        counter.Labels("GET", "unmatched", "404").Inc();
        counter.Labels("POST", "/proxy", "200").Inc();

        Assert.Equal(
            "# HELP http_requests_total Requests.\n" +
            "# TYPE http_requests_total counter\n" +
            "http_requests_total{method=\"POST\",path=\"/proxy\",status=\"200\"} 4\n" +
            "http_requests_total{method=\"GET\",path=\"unmatched\",status=\"404\"} 1\n",
            Scrape.Of(registry));
    }

    [Fact]
    public void A_gauge_goes_up_and_down()
    {
        var registry = new MetricsRegistry();
        var gauge = registry.CreateGauge("streams_in_flight", "Open streams.").Labels();
        gauge.Inc();
        gauge.Inc();
        gauge.Inc();
        gauge.Dec();
        Assert.Equal("# HELP streams_in_flight Open streams.\n# TYPE streams_in_flight gauge\nstreams_in_flight 2\n", Scrape.Of(registry));
        gauge.Set(-7);
        Assert.EndsWith("streams_in_flight -7\n", Scrape.Of(registry), StringComparison.Ordinal);
    }

    [Fact]
    public void A_histogram_writes_cumulative_buckets_an_Inf_bucket_equal_to_count_and_the_sum()
    {
        var registry = new MetricsRegistry();
        var histogram = registry.CreateHistogram("latency_seconds", "Latency.", [0.1, 1, 2.5], "route");
        var child = histogram.Labels("/a");
        child.Observe(0.05);
        child.Observe(0.1); // a bound is inclusive: le means "less than or equal"
        child.Observe(2);
        child.Observe(7);

        Assert.Equal(
            "# HELP latency_seconds Latency.\n" +
            "# TYPE latency_seconds histogram\n" +
            "latency_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n" +
            "latency_seconds_bucket{route=\"/a\",le=\"1\"} 2\n" +
            "latency_seconds_bucket{route=\"/a\",le=\"2.5\"} 3\n" +
            "latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n" +
            "latency_seconds_sum{route=\"/a\"} 9.15\n" +
            "latency_seconds_count{route=\"/a\"} 4\n",
            Scrape.Of(registry));
    }

    [Fact]
    public void A_histogram_without_labels_has_only_le_in_its_bucket_braces_and_zeros_before_any_observation()
    {
        var registry = new MetricsRegistry();
        registry.CreateHistogram("wait_seconds", "Wait.", [0.005, 120]);
        Assert.Equal(
            "# HELP wait_seconds Wait.\n" +
            "# TYPE wait_seconds histogram\n" +
            "wait_seconds_bucket{le=\"0.005\"} 0\n" +
            "wait_seconds_bucket{le=\"120\"} 0\n" +
            "wait_seconds_bucket{le=\"+Inf\"} 0\n" +
            "wait_seconds_sum 0\n" +
            "wait_seconds_count 0\n",
            Scrape.Of(registry));
    }

    [Fact]
    public void Label_values_escape_backslash_double_quote_and_line_feed_and_keep_unicode()
    {
        var registry = new MetricsRegistry();
        registry.CreateCounter("models_total", "Models.", "model").Labels("a\\b\"c\nd\té✓").Inc();
        Assert.Equal(
            "# HELP models_total Models.\n# TYPE models_total counter\nmodels_total{model=\"a\\\\b\\\"c\\nd\té✓\"} 1\n",
            Scrape.Of(registry));
    }

    [Fact]
    public void Help_text_escapes_backslash_and_line_feed_but_not_double_quote()
    {
        var registry = new MetricsRegistry();
        registry.CreateGauge("odd_help", "Line one\nline \"two\" with C:\\path.");
        Assert.Equal(
            "# HELP odd_help Line one\\nline \"two\" with C:\\\\path.\n# TYPE odd_help gauge\nodd_help 0\n",
            Scrape.Of(registry));
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.0, "0")]
    [InlineData(1.0, "1")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e21, "1E+21")]
    [InlineData(1.5e-7, "1.5E-07")]
    [InlineData(123456789.125, "123456789.125")]
    public void Floats_use_Prometheus_spellings_and_the_invariant_culture(double value, string expected)
    {
        var culture = Thread.CurrentThread.CurrentCulture;
        try
        {
            // A decimal comma culture must not leak into the scrape (InvariantGlobalization is on, so this is belt and braces).
            Thread.CurrentThread.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
            Assert.Equal(expected, Scrape.Double(value));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = culture;
        }
    }

    [Fact]
    public void Special_floats_reach_the_sum_line()
    {
        var registry = new MetricsRegistry();
        var histogram = registry.CreateHistogram("x_seconds", "X.", [1]).Labels();
        histogram.Observe(double.PositiveInfinity);
        Assert.Contains("x_seconds_bucket{le=\"+Inf\"} 1\nx_seconds_sum +Inf\nx_seconds_count 1\n", Scrape.Of(registry), StringComparison.Ordinal);
        histogram.Observe(double.NegativeInfinity);
        Assert.Contains("x_seconds_sum NaN\n", Scrape.Of(registry), StringComparison.Ordinal);
    }

    [Fact]
    public void A_labelled_family_with_no_series_yet_writes_only_help_and_type()
    {
        var registry = new MetricsRegistry();
        registry.CreateCounter("errors_total", "Errors.", "kind");
        registry.CreateHistogram("ttft_seconds", "TTFT.", [1], "model");
        Assert.Equal(
            "# HELP errors_total Errors.\n# TYPE errors_total counter\n# HELP ttft_seconds TTFT.\n# TYPE ttft_seconds histogram\n",
            Scrape.Of(registry));
    }

    [Fact]
    public void A_callback_metric_is_read_at_scrape_time_and_left_out_when_unavailable()
    {
        var registry = new MetricsRegistry();
        double? reading = 12.5;
        registry.Register(new CallbackMetric("process_cpu_seconds_total", "CPU.", MetricType.Counter, () => reading));
        Assert.Equal("# HELP process_cpu_seconds_total CPU.\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.5\n", Scrape.Of(registry));
        reading = null;
        Assert.Equal("", Scrape.Of(registry));
    }

    [Fact]
    public void Families_are_written_in_registration_order()
    {
        var registry = new MetricsRegistry();
        registry.CreateGauge("b_gauge_value", "B.");
        registry.CreateCounter("a_total", "A.");
        Assert.Equal("# HELP b_gauge_value B.\n# TYPE b_gauge_value gauge\nb_gauge_value 0\n# HELP a_total A.\n# TYPE a_total counter\na_total 0\n", Scrape.Of(registry));
    }

    [Theory]
    [InlineData("1abc")]
    [InlineData("has-dash")]
    [InlineData("")]
    [InlineData("space name")]
    public void Invalid_metric_names_are_refused(string name) =>
        Assert.Throws<ArgumentException>(() => new MetricsRegistry().CreateCounter(name, "x"));

    [Theory]
    [InlineData("__reserved")]
    [InlineData("colon:label")]
    [InlineData("9lives")]
    public void Invalid_label_names_are_refused(string label) =>
        Assert.Throws<ArgumentException>(() => new MetricsRegistry().CreateCounter("x_total", "x", label));

    [Fact]
    public void Registry_refuses_a_second_family_with_the_same_name_and_histograms_refuse_le_and_bad_bounds()
    {
        var registry = new MetricsRegistry();
        registry.CreateCounter("dup_total", "x");
        Assert.Throws<InvalidOperationException>(() => registry.CreateCounter("dup_total", "y"));
        Assert.Throws<ArgumentException>(() => registry.CreateHistogram("h_seconds", "x", [1], "le"));
        Assert.Throws<ArgumentException>(() => registry.CreateHistogram("h2_seconds", "x", [2, 1]));
        Assert.Throws<ArgumentException>(() => registry.CreateHistogram("h3_seconds", "x", [1, double.PositiveInfinity]));
    }

    [Fact]
    public void Wrong_label_count_and_negative_counter_increments_are_refused()
    {
        var counter = new MetricsRegistry().CreateCounter("c_total", "x", "a", "b");
        Assert.Throws<ArgumentException>(() => counter.Labels("only-one"));
        Assert.Throws<ArgumentOutOfRangeException>(() => counter.Labels("a", "b").Inc(-1));
    }

    [Fact]
    public void Content_type_is_the_exact_0_0_4_text()
    {
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", PrometheusText.ContentType);
    }
}
