using LlmProxy.Http;
using LlmProxy.Metrics;

namespace LlmProxy.Operations.Ui;

/// <summary>
/// The totals the /ui page shows (docs/observability.md, /ui/stats.json), summed from the same series a scrape of
/// <c>/metrics</c> writes: API requests and their 4xx/5xx from <c>http_requests_total</c> without the operations
/// routes, tokens from <c>llm_prompt_tokens_total</c> and <c>llm_completion_tokens_total</c>, refusals from
/// <c>llm_rate_limited_requests_total</c>. A few dozen series: microseconds, read per refresh and per history sample.
/// </summary>
internal readonly record struct DashboardTotals(
    long Requests, long Errors, long ClientErrors, long PromptTokens, long CompletionTokens, long RateLimited)
{
    public static DashboardTotals Read(HttpMetrics http, LlmMetrics llm)
    {
        long requests = 0, errors = 0, clientErrors = 0;
        var family = http.Requests;
        var pathIndex = LabelIndex(family, "path");
        var statusIndex = LabelIndex(family, "status");
        foreach (var series in family.Series)
        {
            if (OperationsRoutes.Contains(series.Labels[pathIndex]))
            {
                continue;
            }
            var count = series.Child.Value;
            requests += count;
            var status = Status(series.Labels[statusIndex]);
            if (status >= 500)
            {
                errors += count;
            }
            else if (status >= 400)
            {
                clientErrors += count;
            }
        }
        return new DashboardTotals(requests, errors, clientErrors, Sum(llm.PromptTokens), Sum(llm.CompletionTokens), Sum(llm.RateLimitedRequests));
    }

    /// <summary>Every series of a counter added up (all labels, e.g. every rate-limit reason).</summary>
    public static long Sum(Counter counter)
    {
        long total = 0;
        foreach (var series in counter.Series)
        {
            total += series.Child.Value;
        }
        return total;
    }

    /// <summary>Where a label sits in a family's label values (so the reading does not depend on the label order).</summary>
    public static int LabelIndex(MetricFamily family, string label)
    {
        var index = IndexOf(family.LabelNames, label);
        return index >= 0 ? index : throw new InvalidOperationException($"{family.Name} has no '{label}' label");
    }

    /// <summary>A status label ("200", "499") as a number; 0 for anything else ("other").</summary>
    public static int Status(string? label) =>
        int.TryParse(label, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status) ? status : 0;

    private static int IndexOf(IReadOnlyList<string> names, string label)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == label)
            {
                return i;
            }
        }
        return -1;
    }
}
