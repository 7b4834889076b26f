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
internal sealed class ShutdownDrain
{
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
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

    /// <summary>Completes when draining and nothing is in flight; throws when <paramref name="cancellationToken"/> fires first.</summary>
    public Task WhenIdleAsync(CancellationToken cancellationToken) => _idle.Task.WaitAsync(cancellationToken);
}
