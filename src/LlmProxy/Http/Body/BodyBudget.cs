using System.Threading.RateLimiting;
using LlmProxy.Configuration;

namespace LlmProxy.Http.Body;

/// <summary>
/// MAX_INFLIGHT_BODY_BYTES (docs/security.md, Memory): one budget for the request-body bytes all requests hold at once,
/// so a burst of large bodies cannot grow memory without bound (MAX_REQUEST_BYTES bounds one body, not a thousand).
/// A body with a Content-Length takes its room whole before it is read (<see cref="BodyReservation"/>), so bodies never
/// wait on each other half-read; a chunked body takes it step by step. A body that does not fit waits up to
/// <see cref="MaxWait"/>, oldest first, for others to finish; then it is refused with 503 and <c>Retry-After</c>. A
/// client that announces a body and then sends too slowly is dropped by Kestrel's minimum body rate
/// (Hosting/KestrelLimits.cs), which gives its room back.
/// </summary>
/// <remarks>
/// The counting is the framework's <see cref="ConcurrencyLimiter"/>, one permit per KiB: weighted acquires, a FIFO
/// queue and cancellation, with no code of ours to get wrong.
/// </remarks>
internal sealed class BodyBudget : IDisposable
{
    /// <summary>
    /// The longest a body waits for room before it is refused: long enough for a burst of large uploads to be read one
    /// after another on a LAN (a 25 MB body arrives in well under a second), short of any client's own timeout.
    /// </summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    /// <summary>The Retry-After of a refusal, in seconds: bodies in flight are usually done by then.</summary>
    public const int RetryAfterSeconds = 2;

    /// <summary>The unit the budget counts in: room is taken in whole KiB.</summary>
    public const int BytesPerPermit = 1024;

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
            // the queue needs no bound of its own: the connections Kestrel accepts bound it, and MaxWait bounds the wait.
            // (The limit counts permits, not bodies: a bound of one budget would refuse the third 25 MB body at once.)
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>The budget in bytes; 0 = none.</summary>
    public long CapacityBytes { get; }

    /// <summary>The bytes held right now, all bodies together (for tests and diagnostics).</summary>
    public long BytesInUse => _limiter is null ? 0 : (long)(_permitLimit - _limiter.GetStatistics()!.CurrentAvailablePermits) * BytesPerPermit;

    /// <summary>The budget in whole units (<see cref="BytesPerPermit"/>); 0 when there is no budget.</summary>
    public int PermitLimit => _permitLimit;

    /// <summary>
    /// An empty reservation for one body, or for a door's copy of a body (<paramref name="alongside"/>: the body's own
    /// reservation, so that the two together never ask for more than the whole budget); null when there is no budget.
    /// </summary>
    public BodyReservation? Open(CancellationToken requestAborted, BodyReservation? alongside = null) =>
        _limiter is null ? null : new BodyReservation(this, requestAborted, alongside);

    /// <summary>
    /// Takes room for <paramref name="bytes"/> more bytes, at most <paramref name="maxPermits"/> units, waiting up to
    /// <see cref="MaxWait"/>: the lease, the bytes it grants (whole units, so at least <paramref name="bytes"/>) and its
    /// units, or a null lease when there was no room in time. A request that needs more than the whole budget takes the
    /// whole budget (it then runs alone), and is granted what it asked for.
    /// </summary>
    internal async ValueTask<(RateLimitLease? Lease, long Granted, int Permits)> TakeAsync(long bytes, int maxPermits, CancellationToken cancellationToken)
    {
        var permits = (int)Math.Min((bytes + BytesPerPermit - 1) / BytesPerPermit, Math.Min(maxPermits, _permitLimit));
        var granted = Math.Max((long)permits * BytesPerPermit, bytes);
        var lease = _limiter!.AttemptAcquire(permits);
        if (lease.IsAcquired)
        {
            return (lease, granted, permits);
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
            return (null, 0, 0);
        }
        if (lease.IsAcquired)
        {
            return (lease, granted, permits);
        }
        // The queue itself is full.
        lease.Dispose();
        return (null, 0, 0);
    }

    public void Dispose() => _limiter?.Dispose();
}
