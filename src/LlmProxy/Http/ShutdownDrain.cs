namespace LlmProxy.Http;

/// <summary>
/// Counts in-flight work (everything but /healthz and /metrics) and, once shutdown begins, refuses new work while the
/// requests and streams already running finish (docs/operations.md, Shutdown).
/// </summary>
/// <remarks>
/// Lock-free: two interlocked operations per request. <see cref="TryEnter"/> increments before it reads the draining
/// flag and <see cref="BeginDrain"/> sets the flag before it reads the count (both full fences), so a request is
/// either refused or counted — it can never slip in unseen after the drain started waiting.
/// </remarks>
internal sealed class ShutdownDrain : IDisposable
{
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _ending = new();
    private int _inFlight;
    private int _draining;

    public bool IsDraining => Volatile.Read(ref _draining) == 1;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Admits one unit of work, or returns false once draining (the caller refuses the request).</summary>
    public bool TryEnter()
    {
        Interlocked.Increment(ref _inFlight);
        if (Volatile.Read(ref _draining) == 0)
        {
            return true;
        }
        Exit();
        return false;
    }

    /// <summary>Ends one unit of work admitted by <see cref="TryEnter"/>.</summary>
    public void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && Volatile.Read(ref _draining) == 1)
        {
            _idle.TrySetResult();
        }
    }

    /// <summary>Stops admitting work. Idempotent.</summary>
    public void BeginDrain()
    {
        Interlocked.Exchange(ref _draining, 1);
        if (Volatile.Read(ref _inFlight) == 0)
        {
            _idle.TrySetResult();
        }
    }

    /// <summary>
    /// Fires just before the drain time is over (<see cref="EndInFlight"/>): upstream calls still running stop reading
    /// so each door can end its answer properly (a stream with an error event and <c>[DONE]</c>) before the server
    /// aborts the connections that remain.
    /// </summary>
    public CancellationToken Ending => _ending.Token;

    /// <summary>The drain time is nearly over: ends the upstream calls still in flight (see <see cref="Ending"/>).</summary>
    public void EndInFlight() => _ending.Cancel();

    /// <summary>Completes when draining and nothing is in flight; throws when <paramref name="cancellationToken"/> fires first.</summary>
    public Task WhenIdleAsync(CancellationToken cancellationToken) => _idle.Task.WaitAsync(cancellationToken);

    public void Dispose() => _ending.Dispose();
}
