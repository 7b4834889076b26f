using LlmProxy.Routing;

namespace LlmProxy.Tests.Routing;

/// <summary>Per-upstream slots and the FIFO queue (docs/upstreams.md, Queues).</summary>
public class ConcurrencyGateTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Waiters_get_freed_slots_in_the_order_they_came_and_the_cap_is_never_passed()
    {
        var gate = new ConcurrencyGate(2, metrics: null);
        Assert.True(await gate.AcquireAsync(Long, CancellationToken.None));
        Assert.True(await gate.AcquireAsync(Long, CancellationToken.None));
        var order = new List<int>();
        async Task AcquireAsync(int waiter)
        {
            Assert.True(await gate.AcquireAsync(Long, CancellationToken.None));
            lock (order)
            {
                order.Add(waiter);
            }
        }
        // One after the other, each in the queue before the next comes: the order they came in is known, not guessed
        // from delays a loaded machine may not keep.
        var waiters = new List<Task>();
        for (var i = 0; i < 3; i++)
        {
            waiters.Add(AcquireAsync(i));
            var queued = i + 1;
            await WaitUntil(() => gate.Queued == queued);
        }
        Assert.Equal(2, gate.InFlight);
        for (var released = 1; released <= 3; released++)
        {
            gate.Release();
            await WaitUntil(() => order.Count == released);
            Assert.Equal(2, gate.InFlight);
        }
        await Task.WhenAll(waiters);
        Assert.Equal([0, 1, 2], order);
        Assert.Equal(2, gate.InFlight);
        Assert.Equal(0, gate.Queued);
    }

    [Fact]
    public async Task A_waiter_whose_time_runs_out_gets_no_slot_and_leaves_the_queue()
    {
        var gate = new ConcurrencyGate(1, metrics: null);
        Assert.True(await gate.AcquireAsync(Long, CancellationToken.None));
        Assert.False(await gate.AcquireAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None));
        Assert.Equal(0, gate.Queued);
        Assert.False(await gate.AcquireAsync(TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public async Task A_waiter_whose_client_leaves_is_out_of_the_queue_at_once_and_the_next_one_gets_the_slot()
    {
        var gate = new ConcurrencyGate(1, metrics: null);
        Assert.True(await gate.AcquireAsync(Long, CancellationToken.None));
        using var leaving = new CancellationTokenSource();
        var first = gate.AcquireAsync(Long, leaving.Token).AsTask();
        var second = gate.AcquireAsync(Long, CancellationToken.None).AsTask();
        await WaitUntil(() => gate.Queued == 2);
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.Equal(1, gate.Queued);
        gate.Release();
        Assert.True(await second.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(1, gate.InFlight);
    }

    [Fact]
    public async Task Without_a_limit_it_only_counts()
    {
        var gate = new ConcurrencyGate(0, metrics: null);
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(await gate.AcquireAsync(TimeSpan.Zero, CancellationToken.None));
        }
        Assert.Equal(1000, gate.InFlight);
        Assert.True(gate.HasRoom);
        gate.Release();
        Assert.Equal(999, gate.InFlight);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition());
    }
}
