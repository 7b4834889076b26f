using System.Threading.RateLimiting;
using LlmProxy.Configuration;

namespace LlmProxy.Http.Body;

/// <summary>
/// MAX_INFLIGHT_BODY_BYTES (docs/security.md, Memory): one budget for the request-body bytes all requests hold at once,
/// so a burst of large bodies cannot grow memory without bound (MAX_REQUEST_BYTES bounds one body, not a thousand).
/// Bodies take their bytes as they arrive (<see cref="BodyReservation"/>), not as they are announced: a client that
/// declares 25 MB and sends nothing holds nothing. A body that does not fit waits up to <see cref="MaxWait"/>, oldest
/// first, for others to finish; then it is refused with 503 and <c>Retry-After</c>.
/// </summary>
/// <remarks>
/// The counting is the framework's <see cref="ConcurrencyLimiter"/>, one permit per KiB: weighted acquires, a FIFO
/// queue and cancellation, with no code of ours to get wrong.
/// </remarks>
internal sealed class BodyBudget : IDisposable
{
    /// <summary>The longest a body waits for room before it is refused (a burst drains in milliseconds on a LAN).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(5);

    /// <summary>The Retry-After of a refusal, in seconds: bodies in flight are usually done by then.</summary>
    public const int RetryAfterSeconds = 2;

    private const int BytesPerPermit = 1024;

    private readonly ConcurrencyLimiter? _limiter;
    private readonly int _permitLimit;

    public BodyBudget(ProxySettings settings)
    {
        CapacityBytes = settings.MaxInflightBodyBytes;
        if (CapacityBytes <= 0)
        {
            return;
        }
        _permitLimit = (int)Math.Clamp(CapacityBytes / BytesPerPermit, 1, int.MaxValue);
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = _permitLimit,
            // Waiting bodies hold no body memory (their bytes stay in the socket and Kestrel's bounded read-ahead), so
            // as much may wait as may run.
            QueueLimit = _permitLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>The budget in bytes; 0 = none.</summary>
    public long CapacityBytes { get; }

    /// <summary>The bytes held right now, all bodies together (for tests and diagnostics).</summary>
    public long BytesInUse => _limiter is null ? 0 : (long)(_permitLimit - _limiter.GetStatistics()!.CurrentAvailablePermits) * BytesPerPermit;

    /// <summary>An empty reservation for one body; null when there is no budget.</summary>
    public BodyReservation? Open(CancellationToken requestAborted) => _limiter is null ? null : new BodyReservation(this, requestAborted);

    /// <summary>
    /// Takes room for <paramref name="bytes"/> more bytes, waiting up to <see cref="MaxWait"/>: the lease, or null when
    /// there was no room in time. One body larger than the whole budget takes the whole budget.
    /// </summary>
    internal async ValueTask<RateLimitLease?> TakeAsync(long bytes, CancellationToken cancellationToken)
    {
        var permits = (int)Math.Min((bytes + BytesPerPermit - 1) / BytesPerPermit, _permitLimit);
        var lease = _limiter!.AttemptAcquire(permits);
        if (lease.IsAcquired)
        {
            return lease;
        }
        lease.Dispose();
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(MaxWait);
        try
        {
            lease = await _limiter.AcquireAsync(permits, wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        if (lease.IsAcquired)
        {
            return lease;
        }
        // The queue itself is full.
        lease.Dispose();
        return null;
    }

    public void Dispose() => _limiter?.Dispose();
}
