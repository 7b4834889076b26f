using LlmProxy.Metrics;

namespace LlmProxy.Operations.Ui;

/// <summary>
/// The /ui page's model table (docs/observability.md, /ui/stats.json): one row per (provider, model) series of
/// <c>llm_requests_total</c>, joined with that pair's token counters and time-to-first-token histogram. The model
/// names are the metrics' own, so capped as they are (later names are <c>other</c>).
/// </summary>
internal static class DashboardModels
{
    public static List<DashboardModel> Read(LlmMetrics llm)
    {
        var rows = new Dictionary<(string Provider, string Model), DashboardModel>();
        DashboardModel Row(MetricFamily family, LabelKey labels)
        {
            var key = (labels[DashboardTotals.LabelIndex(family, "provider")]!, labels[DashboardTotals.LabelIndex(family, "model")]!);
            if (!rows.TryGetValue(key, out var row))
            {
                row = new DashboardModel(key.Item1, key.Item2);
                rows[key] = row;
            }
            return row;
        }

        var statusIndex = DashboardTotals.LabelIndex(llm.Requests, "status");
        foreach (var series in llm.Requests.Series)
        {
            var row = Row(llm.Requests, series.Labels);
            var count = series.Child.Value;
            row.Requests += count;
            if (DashboardTotals.Status(series.Labels[statusIndex]) >= 500)
            {
                row.Errors += count;
            }
        }
        foreach (var series in llm.PromptTokens.Series)
        {
            Row(llm.PromptTokens, series.Labels).PromptTokens += series.Child.Value;
        }
        foreach (var series in llm.CompletionTokens.Series)
        {
            Row(llm.CompletionTokens, series.Labels).CompletionTokens += series.Child.Value;
        }
        var histogram = llm.TimeToFirstToken;
        Span<long> buckets = stackalloc long[histogram.UpperBounds.Count + 1];
        foreach (var series in histogram.Series)
        {
            series.Child.CopyCumulativeBuckets(buckets);
            var row = Row(histogram, series.Labels);
            row.TimeToFirstTokenP50 = HistogramQuantile.Estimate(0.5, histogram.UpperBounds, buckets);
            row.TimeToFirstTokenP95 = HistogramQuantile.Estimate(0.95, histogram.UpperBounds, buckets);
        }
        return [.. rows.Values.OrderByDescending(r => r.Requests).ThenBy(r => r.Model, StringComparer.Ordinal)];
    }
}

/// <summary>One row of the model table.</summary>
internal sealed class DashboardModel(string provider, string model)
{
    public string Provider { get; } = provider;
    public string Model { get; } = model;
    public long Requests { get; set; }
    public long Errors { get; set; }
    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }

    /// <summary>Seconds, estimated from the buckets; null before the first stream.</summary>
    public double? TimeToFirstTokenP50 { get; set; }

    public double? TimeToFirstTokenP95 { get; set; }
}
