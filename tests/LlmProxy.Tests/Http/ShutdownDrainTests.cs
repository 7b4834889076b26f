using LlmProxy.Http;

namespace LlmProxy.Tests.Http;

public class ShutdownDrainTests
{
    [Fact]
    public void Admits_work_until_draining_then_refuses_it()
    {
        var drain = new ShutdownDrain();
        Assert.True(drain.TryEnter());
        Assert.Equal(1, drain.InFlight);
        drain.BeginDrain();
        Assert.True(drain.IsDraining);
        Assert.False(drain.TryEnter());
        Assert.Equal(1, drain.InFlight);
    }

    [Fact]
    public async Task Becomes_idle_only_when_the_last_in_flight_request_ends()
    {
        var drain = new ShutdownDrain();
        Assert.True(drain.TryEnter());
        Assert.True(drain.TryEnter());
        drain.BeginDrain();
        var idle = drain.WhenIdleAsync(CancellationToken.None);
        drain.Exit();
        await Task.Delay(20);
        Assert.False(idle.IsCompleted);
        drain.Exit();
        await idle.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, drain.InFlight);
    }

    [Fact]
    public async Task Draining_with_nothing_in_flight_is_idle_at_once()
    {
        var drain = new ShutdownDrain();
        drain.BeginDrain();
        await drain.WhenIdleAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_wait_gives_up_when_the_drain_time_is_over()
    {
        var drain = new ShutdownDrain();
        Assert.True(drain.TryEnter());
        drain.BeginDrain();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => drain.WhenIdleAsync(cts.Token));
    }
}
