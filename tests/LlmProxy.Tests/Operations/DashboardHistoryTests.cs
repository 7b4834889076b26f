using LlmProxy.Metrics;
using LlmProxy.Operations.Ui;
using Microsoft.Extensions.Time.Testing;

namespace LlmProxy.Tests.Operations;

/// <summary>The /ui page's 10 minutes of history: a ring of samples of the metrics' totals, one every 2 s.</summary>
public class DashboardHistoryTests
{
    [Fact]
    public async Task A_sample_is_taken_at_start_and_every_two_seconds_from_the_api_totals()
    {
        var registry = new MetricsRegistry();
        var http = new HttpMetrics(registry);
        var llm = new LlmMetrics(registry);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        using var history = new DashboardHistory(http, llm, time);
        await history.StartAsync(CancellationToken.None);
        await WaitForCountAsync(history, 1);
        Assert.Equal([new HistoryPoint(1_800_000_000, 0, 0, 0)], history.Snapshot());

        http.Observe("POST", "/v1/chat/completions", 200, 0.1);
        http.Observe("POST", "/v1/chat/completions", 502, 0.1);
        http.Observe("GET", "/ui/stats.json", 200, 0.001);
        llm.For("stub", "m").Tokens(3, 4);
        time.Advance(TimeSpan.FromSeconds(2));
        await WaitForCountAsync(history, 2);
        Assert.Equal(new HistoryPoint(1_800_000_002, 2, 1, 4), history.Snapshot()[^1]);
        await history.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void The_ring_keeps_the_last_300_samples_oldest_first()
    {
        var registry = new MetricsRegistry();
        var http = new HttpMetrics(registry);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_000));
        using var history = new DashboardHistory(http, new LlmMetrics(registry), time);
        for (var i = 0; i < 310; i++)
        {
            http.Observe("POST", "/proxy", 200, 0.1);
            history.Sample();
            time.Advance(TimeSpan.FromSeconds(2));
        }
        var points = history.Snapshot();
        Assert.Equal(DashboardHistory.Capacity, points.Length);
        Assert.Equal(11, points[0].Requests);
        Assert.Equal(310, points[^1].Requests);
        Assert.Equal(1_000 + (309 * 2), points[^1].UnixSeconds);
        Assert.True(points.Zip(points.Skip(1)).All(p => p.Second.UnixSeconds - p.First.UnixSeconds == 2));
    }

    private static async Task WaitForCountAsync(DashboardHistory history, int count)
    {
        for (var i = 0; i < 200 && history.Snapshot().Length < count; i++)
        {
            await Task.Delay(10);
        }
        Assert.Equal(count, history.Snapshot().Length);
    }
}
