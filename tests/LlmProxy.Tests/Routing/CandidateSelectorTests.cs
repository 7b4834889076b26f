using LlmProxy.Configuration;
using LlmProxy.Routing;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Routing;

/// <summary>Choosing an upstream (docs/upstreams.md): health, room, priority, least busy, round robin among equals.</summary>
public class CandidateSelectorTests
{
    private static (ServiceProvider Services, UpstreamEntry[] Candidates) Setup(params (string Name, int Priority, int Max)[] upstreams)
    {
        var services = TestRouting.Create(TestRouting.Named([.. upstreams.Select(u => (u.Name, new UpstreamOptions { Priority = u.Priority, MaxConcurrency = u.Max }))]));
        return (services, services.GetRequiredService<UpstreamPool>().Entries);
    }

    private static async Task HoldAsync(UpstreamEntry entry, int slots)
    {
        for (var i = 0; i < slots; i++)
        {
            Assert.True(await entry.Gate.AcquireAsync(TimeSpan.Zero, CancellationToken.None));
        }
    }

    [Fact]
    public void The_lowest_priority_number_wins_whatever_the_load()
    {
        var (services, candidates) = Setup(("gpu", 0, 0), ("laptop", 1, 0));
        using var _ = services;
        for (uint rotation = 0; rotation < 4; rotation++)
        {
            Assert.Equal(0, CandidateSelector.Pick(candidates, excluded: 0, rotation));
        }
        Assert.Equal(1, CandidateSelector.Pick(candidates, excluded: 0b01, rotation: 0));
        Assert.Equal(-1, CandidateSelector.Pick(candidates, excluded: 0b11, rotation: 0));
    }

    [Fact]
    public async Task Among_equals_the_one_with_fewest_in_flight_wins_and_ties_take_turns()
    {
        var (services, candidates) = Setup(("a", 0, 0), ("b", 0, 0), ("c", 0, 0));
        using var _ = services;
        await HoldAsync(candidates[0], 2);
        await HoldAsync(candidates[2], 1);
        for (uint rotation = 0; rotation < 3; rotation++)
        {
            Assert.Equal(1, CandidateSelector.Pick(candidates, 0, rotation));
        }
        await HoldAsync(candidates[1], 1);
        // b and c now both have one in flight: the rotation decides between them, so both get turns.
        var picks = Enumerable.Range(0, 6).Select(r => CandidateSelector.Pick(candidates, 0, (uint)r)).ToHashSet();
        Assert.Equal([1, 2], picks.Order());
    }

    [Fact]
    public void A_down_upstream_gets_nothing_while_another_is_not_down_and_is_still_tried_when_all_are()
    {
        var (services, candidates) = Setup(("gpu", 0, 0), ("laptop", 1, 0));
        using var _ = services;
        for (var i = 0; i < 3; i++)
        {
            candidates[0].Health!.Failed("refused");
        }
        Assert.True(candidates[0].IsDown);
        Assert.Equal(1, CandidateSelector.Pick(candidates, 0, 0));
        candidates[1].Health!.ProbeFailed("refused");
        Assert.Equal(0, CandidateSelector.Pick(candidates, 0, 0));
    }

    [Fact]
    public async Task A_candidate_with_a_free_slot_beats_a_preferred_one_that_is_full()
    {
        var (services, candidates) = Setup(("gpu", 0, 1), ("laptop", 5, 0));
        using var _ = services;
        await HoldAsync(candidates[0], 1);
        Assert.Equal(1, CandidateSelector.Pick(candidates, 0, 0));
        // When all are full the request joins the queue of the preferred one.
        var (services2, two) = Setup(("gpu", 0, 1), ("laptop", 5, 1));
        using var __ = services2;
        await HoldAsync(two[0], 1);
        await HoldAsync(two[1], 1);
        Assert.Equal(0, CandidateSelector.Pick(two, 0, 1));
    }
}
