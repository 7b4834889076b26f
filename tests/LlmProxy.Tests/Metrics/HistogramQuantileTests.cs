using LlmProxy.Metrics;

namespace LlmProxy.Tests.Metrics;

/// <summary>Quantiles from buckets as Prometheus' histogram_quantile computes them (the /ui page's time to first token).</summary>
public class HistogramQuantileTests
{
    private static readonly double[] Bounds = [0.1, 0.5, 1, 5];

    [Fact]
    public void The_rank_is_interpolated_linearly_inside_its_bucket()
    {
        // 10 observations: 2 ≤ 0.1, 6 in (0.1, 0.5], 2 in (0.5, 1]. The median is the 5th: 3 of 6 into (0.1, 0.5].
        long[] cumulative = [2, 8, 10, 10, 10];
        Assert.Equal(0.1 + (0.4 * 3 / 6), HistogramQuantile.Estimate(0.5, Bounds, cumulative)!.Value, 12);
        // p95 = rank 9.5: 1.5 of 2 into (0.5, 1].
        Assert.Equal(0.5 + (0.5 * 1.5 / 2), HistogramQuantile.Estimate(0.95, Bounds, cumulative)!.Value, 12);
    }

    [Fact]
    public void The_first_bucket_starts_at_zero()
    {
        long[] cumulative = [4, 4, 4, 4, 4];
        Assert.Equal(0.05, HistogramQuantile.Estimate(0.5, Bounds, cumulative)!.Value, 12);
    }

    [Fact]
    public void A_rank_above_every_bound_gives_the_highest_finite_bound()
    {
        long[] cumulative = [0, 0, 0, 1, 10];
        Assert.Equal(5, HistogramQuantile.Estimate(0.95, Bounds, cumulative));
    }

    [Fact]
    public void An_empty_histogram_has_no_quantile()
    {
        Assert.Null(HistogramQuantile.Estimate(0.5, Bounds, [0, 0, 0, 0, 0]));
    }

    [Fact]
    public void It_agrees_with_a_histogram_fed_known_values()
    {
        var registry = new MetricsRegistry();
        var child = registry.CreateHistogram("t_seconds", "t", Bounds).Labels();
        foreach (var v in new[] { 0.05, 0.2, 0.3, 0.4, 0.45, 0.7, 0.8, 0.9, 2, 3 })
        {
            child.Observe(v);
        }
        Span<long> cumulative = stackalloc long[Bounds.Length + 1];
        child.CopyCumulativeBuckets(cumulative);
        Assert.Equal([1L, 5, 8, 10, 10], cumulative.ToArray());
        Assert.Equal(child.Count, cumulative[^1]);
        // Rank 5 is the last of the 4 in (0.1, 0.5]: the bucket's top.
        Assert.Equal(0.5, HistogramQuantile.Estimate(0.5, Bounds, cumulative)!.Value, 12);
    }
}
