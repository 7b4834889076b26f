using System.Diagnostics;
using LlmProxy.Metrics;
using LlmProxy.Upstreams;

namespace LlmProxy.Routing;

/// <summary>
/// An upstream's slots (docs/upstreams.md, Queues): at most <c>_MAX_CONCURRENCY</c> requests at once, later ones wait
/// in a FIFO queue. A freed slot goes straight to the first waiter (the count of requests in flight does not dip, so
/// a newcomer cannot jump the queue). A waiter whose client leaves, or whose time runs out, leaves the queue at once.
/// Without a limit the gate only counts requests in flight, with one <see cref="Interlocked"/> operation each way:
/// routing reads the counts to send a request to the least busy upstream.
/// </summary>
internal sealed class ConcurrencyGate : IUpstreamSlot
{
    private readonly int _max;
    private readonly UpstreamSeries? _metrics;
    private readonly Lock _lock = new();
    private readonly LinkedList<TaskCompletionSource<bool>> _queue = new();
    private int _inFlight;
    private int _queued;

    /// <param name="maxConcurrency">0 = unlimited.</param>
    /// <param name="metrics">The upstream's series (in flight, queue depth, wait), or null for none (the stub).</param>
    public ConcurrencyGate(int maxConcurrency, UpstreamSeries? metrics)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxConcurrency);
        _max = maxConcurrency;
        _metrics = metrics;
    }

    public int MaxConcurrency => _max;

    public int InFlight => Volatile.Read(ref _inFlight);

    public int Queued => Volatile.Read(ref _queued);

    /// <summary>A request sent now would not wait.</summary>
    public bool HasRoom => _max == 0 || (Volatile.Read(ref _inFlight) < _max && Volatile.Read(ref _queued) == 0);

    /// <summary>
    /// A slot, at once or after waiting in line for at most <paramref name="timeout"/>: true when it is held (release it
    /// with <see cref="Release"/>), false when the time ran out. Throws <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellation"/> (the client leaving) fires while waiting.
    /// </summary>
    public async ValueTask<bool> AcquireAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        if (_max == 0)
        {
            Interlocked.Increment(ref _inFlight);
            _metrics?.InFlight.Inc();
            return true;
        }
        LinkedListNode<TaskCompletionSource<bool>> node;
        lock (_lock)
        {
            if (_inFlight < _max && _queue.Count == 0)
            {
                _inFlight++;
                _metrics?.InFlight.Set(_inFlight);
                _metrics?.QueueWaited(0);
                return true;
            }
            if (timeout <= TimeSpan.Zero)
            {
                return false;
            }
            node = _queue.AddLast(new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
            _queued = _queue.Count;
            _metrics?.QueueDepth.Set(_queued);
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            await node.Value.Task.WaitAsync(timeout, cancellation).ConfigureAwait(false);
            _metrics?.QueueWaited(Stopwatch.GetElapsedTime(started).TotalSeconds);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            lock (_lock)
            {
                if (node.List is not null)
                {
                    // Still waiting: leave the line; nobody gave us a slot.
                    _queue.Remove(node);
                    _queued = _queue.Count;
                    _metrics?.QueueDepth.Set(_queued);
                    node = null!;
                }
            }
            if (node is not null)
            {
                // A slot was handed over just as the wait ended: pass it on rather than lose it.
                Release();
            }
            _metrics?.QueueWaited(Stopwatch.GetElapsedTime(started).TotalSeconds);
            if (e is OperationCanceledException)
            {
                throw;
            }
            return false;
        }
    }

    /// <summary>Gives a held slot back: to the first waiter if there is one, else to the pool.</summary>
    public void Release()
    {
        if (_max == 0)
        {
            Interlocked.Decrement(ref _inFlight);
            _metrics?.InFlight.Dec();
            return;
        }
        lock (_lock)
        {
            while (_queue.First is { } first)
            {
                _queue.RemoveFirst();
                _queued = _queue.Count;
                _metrics?.QueueDepth.Set(_queued);
                // The slot passes to the waiter: in flight stays the same.
                if (first.Value.TrySetResult(true))
                {
                    return;
                }
            }
            _inFlight--;
            _metrics?.InFlight.Set(_inFlight);
        }
    }
}
