using LlmProxy.Http.RateLimiting;

namespace LlmProxy.Tests.Http.RateLimiting;

public class InMemoryWindowStoreTests
{
    private static readonly WindowLimits FiveAMinute = new(TimeSpan.FromMinutes(1), 5, 0);

    [Fact]
    public void A_client_is_admitted_up_to_the_limit_and_refused_after_without_counting_the_refusals()
    {
        var store = new InMemoryWindowStore(new ManualTimeProvider());
        var verdicts = Enumerable.Range(0, 8).Select(_ => store.Hit("ip:10.0.0.1", FiveAMinute)).ToList();
        Assert.Equal(5, verdicts.Count(v => v.Admitted));
        Assert.All(verdicts.Skip(5), v => Assert.Equal(WindowVerdict.RequestLimitReached, v.Verdict));
        Assert.Equal(5, verdicts[^1].Requests);
        Assert.Equal(0, verdicts[^1].RemainingRequests(FiveAMinute));
        Assert.Equal(CountSource.Local, verdicts[0].Source);
    }

    [Fact]
    public void Clients_are_counted_apart()
    {
        var store = new InMemoryWindowStore(new ManualTimeProvider());
        for (var i = 0; i < 5; i++)
        {
            store.Hit("ip:10.0.0.1", FiveAMinute);
        }
        Assert.False(store.Hit("ip:10.0.0.1", FiveAMinute).Admitted);
        Assert.True(store.Hit("ip:10.0.0.2", FiveAMinute).Admitted);
    }

    [Fact]
    public void The_window_starts_at_the_first_request_and_a_new_one_starts_after_it_ends()
    {
        var time = new ManualTimeProvider();
        var store = new InMemoryWindowStore(time);
        var first = store.Hit("c", FiveAMinute);
        Assert.Equal(TimeSpan.FromMinutes(1), first.ResetAfter);
        time.Advance(TimeSpan.FromSeconds(20));
        for (var i = 0; i < 4; i++)
        {
            store.Hit("c", FiveAMinute);
        }
        var refused = store.Hit("c", FiveAMinute);
        Assert.False(refused.Admitted);
        Assert.Equal(TimeSpan.FromSeconds(40), refused.ResetAfter);
        time.Advance(TimeSpan.FromSeconds(40));
        var next = store.Hit("c", FiveAMinute);
        Assert.True(next.Admitted);
        Assert.Equal(1, next.Requests);
    }

    [Fact]
    public void A_request_is_admitted_on_the_tokens_so_far_and_its_own_usage_counts_for_the_next()
    {
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 0, 1000);
        var store = new InMemoryWindowStore(new ManualTimeProvider());
        Assert.True(store.Hit("key:alice", limits).Admitted);
        store.DebitTokens("key:alice", 900, limits);
        Assert.True(store.Hit("key:alice", limits).Admitted); // 900 < 1000: admitted, even if this one uses 500
        store.DebitTokens("key:alice", 500, limits);
        var refused = store.Hit("key:alice", limits);
        Assert.Equal(WindowVerdict.TokenLimitReached, refused.Verdict);
        Assert.Equal(1400, refused.Tokens);
    }

    [Fact]
    public void Usage_that_arrives_after_the_window_ended_opens_the_next_window()
    {
        var time = new ManualTimeProvider();
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 0, 1000);
        var store = new InMemoryWindowStore(time);
        store.Hit("c", limits);
        time.Advance(TimeSpan.FromSeconds(90)); // a long stream ends after its window
        store.DebitTokens("c", 1200, limits);
        Assert.Equal(WindowVerdict.TokenLimitReached, store.Hit("c", limits).Verdict);
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(store.Hit("c", limits).Admitted);
    }

    [Fact]
    public void Ended_windows_are_swept_so_memory_follows_the_active_clients_only()
    {
        var time = new ManualTimeProvider();
        var store = new InMemoryWindowStore(time);
        var shortWindow = new WindowLimits(TimeSpan.FromSeconds(1), 5, 0);
        for (var i = 0; i < 10_000; i++)
        {
            store.Hit("ip:10.1." + i, shortWindow);
        }
        store.Hit("ip:still-active", FiveAMinute);
        Assert.Equal(10_001, store.Count);
        time.Advance(TimeSpan.FromSeconds(2));
        store.Sweep();
        Assert.Equal(1, store.Count);
        Assert.Equal(2, store.Hit("ip:still-active", FiveAMinute).Requests);
    }

    [Fact]
    public async Task The_sweep_is_started_by_traffic_itself_at_most_every_ten_seconds()
    {
        var time = new ManualTimeProvider();
        var store = new InMemoryWindowStore(time);
        var shortWindow = new WindowLimits(TimeSpan.FromSeconds(1), 5, 0);
        for (var i = 0; i < 100; i++)
        {
            store.Hit("ip:10.2." + i, shortWindow);
        }
        time.Advance(InMemoryWindowStore.SweepInterval);
        store.Hit("ip:trigger", FiveAMinute); // due: queues the sweep on the thread pool
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (store.Count > 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public async Task Concurrent_requests_are_counted_exactly()
    {
        var store = new InMemoryWindowStore();
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 500, 0);
        var admitted = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                if (store.Hit("shared", limits).Admitted)
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        })));
        Assert.Equal(500, admitted);
    }

    [Fact]
    public async Task Counting_stays_exact_while_sweeps_run_beside_it()
    {
        // A sweep removes ended windows while requests arrive; a request that raced it must count in the live entry.
        var time = new ManualTimeProvider();
        var store = new InMemoryWindowStore(time);
        var limits = new WindowLimits(TimeSpan.FromSeconds(1), 1_000_000, 0);
        var admitted = 0;
        using var stop = new CancellationTokenSource();
        var sweeper = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                store.Sweep();
            }
        });
        for (var round = 0; round < 50; round++)
        {
            time.Advance(TimeSpan.FromSeconds(2)); // every window has ended: the sweeper may remove it any moment
            admitted = 0;
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                for (var i = 0; i < 50; i++)
                {
                    store.Hit("c", limits);
                    Interlocked.Increment(ref admitted);
                }
            })));
            Assert.Equal(admitted + 1, store.Hit("c", limits).Requests);
        }
        await stop.CancelAsync();
        await sweeper;
    }
}
