using LlmProxy.Metrics;

namespace LlmProxy.Tests.Metrics;

/// <summary>Lock-free does not mean lossy: many threads recording at once must give exact totals.</summary>
public class RegistryConcurrencyTests
{
    private const int Threads = 8;
    private const int PerThread = 100_000;

    [Fact]
    public void Concurrent_increments_observations_and_series_creation_lose_nothing()
    {
        var registry = new MetricsRegistry();
        var counter = registry.CreateCounter("c_total", "c", "shard");
        var gauge = registry.CreateGauge("g", "g").Labels();
        var histogram = registry.CreateHistogram("h_seconds", "h", [0.5, 1.5], "shard");
        using var start = new Barrier(Threads);

        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < PerThread; i++)
            {
                // Two shared series that every thread races to create and update, and one value per bucket.
                var shard = (i & 1) == 0 ? "even" : "odd";
                counter.Labels(shard).Inc();
                histogram.Labels(shard).Observe(i % 3);
                gauge.Inc();
                gauge.Dec();
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(Threads * PerThread / 2, counter.Labels("even").Value);
        Assert.Equal(Threads * PerThread / 2, counter.Labels("odd").Value);
        Assert.Equal(0, gauge.Value);
        var even = histogram.Labels("even");
        var odd = histogram.Labels("odd");
        Assert.Equal(Threads * PerThread, even.Count + odd.Count);
        // Sum of i % 3 over 0..PerThread-1, times the threads: whole numbers, so the CAS-added double is exact.
        double perThreadSum = Enumerable.Range(0, PerThread).Sum(i => i % 3);
        Assert.Equal(Threads * perThreadSum, even.Sum + odd.Sum);

        var text = Scrape.Of(registry);
        Assert.Contains($"c_total{{shard=\"even\"}} {Threads * PerThread / 2}\n", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n'), l => l.StartsWith("c_total{shard=\"even\"}", StringComparison.Ordinal));
    }

    [Fact]
    public void A_scrape_during_recording_always_has_the_Inf_bucket_equal_to_count()
    {
        var registry = new MetricsRegistry();
        var histogram = registry.CreateHistogram("busy_seconds", "b", [1, 2]).Labels();
        using var stop = new CancellationTokenSource();
        var writer = new Thread(() =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                histogram.Observe(i++ % 4);
            }
        });
        writer.Start();
        try
        {
            for (var scrape = 0; scrape < 500; scrape++)
            {
                var lines = Scrape.Of(registry).Split('\n');
                var inf = lines.Single(l => l.StartsWith("busy_seconds_bucket{le=\"+Inf\"}", StringComparison.Ordinal)).Split(' ')[1];
                var count = lines.Single(l => l.StartsWith("busy_seconds_count", StringComparison.Ordinal)).Split(' ')[1];
                Assert.Equal(inf, count);
                var buckets = lines.Where(l => l.StartsWith("busy_seconds_bucket", StringComparison.Ordinal))
                    .Select(l => long.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
                Assert.Equal(buckets.Order().ToList(), buckets); // cumulative: never decreasing
            }
        }
        finally
        {
            stop.Cancel();
            writer.Join();
        }
    }
}
