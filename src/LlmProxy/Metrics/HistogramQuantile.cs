namespace LlmProxy.Metrics;

/// <summary>
/// A quantile estimated from histogram buckets the way Prometheus' <c>histogram_quantile</c> does
/// (https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile): find the bucket the rank
/// falls in and interpolate linearly inside it, the first bucket starting at 0. A rank in the <c>+Inf</c> bucket gives
/// the highest finite bound. So the /ui page shows the number a Grafana panel over the same series would.
/// </summary>
internal static class HistogramQuantile
{
    /// <param name="quantile">From 0 to 1.</param>
    /// <param name="upperBounds">The finite bounds, increasing.</param>
    /// <param name="cumulative">Cumulative counts, one per bound plus the <c>+Inf</c> bucket last.</param>
    /// <returns>The estimate, or null when the histogram has no observation.</returns>
    public static double? Estimate(double quantile, IReadOnlyList<double> upperBounds, ReadOnlySpan<long> cumulative)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quantile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quantile, 1);
        if (cumulative.Length != upperBounds.Count + 1)
        {
            throw new ArgumentException("one cumulative count per bound plus +Inf", nameof(cumulative));
        }
        var total = cumulative[^1];
        if (total <= 0)
        {
            return null;
        }
        var rank = quantile * total;
        var bucket = 0;
        while (bucket < upperBounds.Count && cumulative[bucket] < rank)
        {
            bucket++;
        }
        if (bucket == upperBounds.Count)
        {
            // In +Inf: Prometheus answers the highest finite bound (nothing is known above it).
            return upperBounds[^1];
        }
        if (bucket == 0 && upperBounds[0] <= 0)
        {
            return upperBounds[0];
        }
        var start = bucket == 0 ? 0 : upperBounds[bucket - 1];
        var end = upperBounds[bucket];
        var below = bucket == 0 ? 0 : cumulative[bucket - 1];
        var inBucket = cumulative[bucket] - below;
        if (inBucket == 0)
        {
            return end;
        }
        return start + ((end - start) * ((rank - below) / inBucket));
    }
}
