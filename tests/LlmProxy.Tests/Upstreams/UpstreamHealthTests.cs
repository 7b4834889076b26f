using LlmProxy.Upstreams;

namespace LlmProxy.Tests.Upstreams;

/// <summary>Passive and probed health (docs/upstreams.md, Health).</summary>
public class UpstreamHealthTests
{
    [Fact]
    public void Three_failures_in_a_row_mark_it_down_and_a_success_between_them_starts_the_count_again()
    {
        var health = new UpstreamHealth();
        var changes = new List<UpstreamState>();
        health.Changed += (state, _) => changes.Add(state);
        Assert.Equal(UpstreamState.Unknown, health.State);
        health.Failed("refused");
        health.Failed("refused");
        health.Succeeded();
        health.Failed("refused");
        health.Failed("refused");
        Assert.NotEqual(UpstreamState.Down, health.State);
        Assert.False(health.WhenDown.IsCompleted);
        health.Failed("refused");
        Assert.Equal(UpstreamState.Down, health.State);
        Assert.True(health.WhenDown.IsCompleted);
        Assert.Equal([UpstreamState.Up, UpstreamState.Down], changes);
    }

    [Fact]
    public void Each_failed_probe_doubles_the_back_off_up_to_30_seconds_and_a_success_resets_it()
    {
        var health = new UpstreamHealth();
        health.ProbeFailed("refused");
        Assert.Equal(UpstreamState.Down, health.State);
        var backoffs = new List<double> { health.Backoff.TotalSeconds };
        for (var i = 0; i < 7; i++)
        {
            health.ProbeFailed("refused");
            backoffs.Add(health.Backoff.TotalSeconds);
        }
        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], backoffs);
        health.Succeeded();
        Assert.Equal(UpstreamState.Up, health.State);
        Assert.Equal(1, health.Backoff.TotalSeconds);
        Assert.False(health.WhenDown.IsCompleted);
    }
}
