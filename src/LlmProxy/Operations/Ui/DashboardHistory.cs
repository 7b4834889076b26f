using LlmProxy.Metrics;

namespace LlmProxy.Operations.Ui;

/// <summary>
/// The /ui page's 10 minutes of history (docs/observability.md, /ui/stats.json): every <see cref="Interval"/> the
/// totals are read from the metrics (<see cref="DashboardTotals"/>) and kept in a ring of <see cref="Capacity"/>
/// points. Sampled by a timer, not per request, and always: one sample costs a few microseconds every 2 s (Kestrel's
/// own heartbeat already wakes the process every second), and a page opened for the first time then has history to
/// draw at once instead of an empty chart.
/// </summary>
internal sealed class DashboardHistory(HttpMetrics http, LlmMetrics llm, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>10 minutes at one point per 2 s.</summary>
    public const int Capacity = 300;

    private readonly HistoryPoint[] _ring = new HistoryPoint[Capacity];
    private readonly Lock _lock = new();
    private int _count;
    private int _next;

    /// <summary>Reads the totals now and keeps them as the newest point (the oldest falls out once the ring is full).</summary>
    public void Sample()
    {
        var totals = DashboardTotals.Read(http, llm);
        var point = new HistoryPoint(time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0, totals.Requests, totals.Errors, totals.CompletionTokens);
        lock (_lock)
        {
            _ring[_next] = point;
            _next = (_next + 1) % Capacity;
            _count = Math.Min(_count + 1, Capacity);
        }
    }

    /// <summary>The points, oldest first.</summary>
    public HistoryPoint[] Snapshot()
    {
        lock (_lock)
        {
            var points = new HistoryPoint[_count];
            var start = (_next - _count + Capacity) % Capacity;
            for (var i = 0; i < _count; i++)
            {
                points[i] = _ring[(start + i) % Capacity];
            }
            return points;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The timer first, then the first sample: ticks are counted from the start, whatever the sample costs.
        using var timer = new PeriodicTimer(Interval, time);
        Sample();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Sample();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

/// <summary>One history point: the cumulative totals at <paramref name="UnixSeconds"/>.</summary>
internal readonly record struct HistoryPoint(double UnixSeconds, long Requests, long Errors, long CompletionTokens);
