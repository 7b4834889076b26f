using System.Threading.RateLimiting;

namespace LlmProxy.Http.Body;

/// <summary>The room one body holds in the <see cref="BodyBudget"/>: taken step by step as bytes arrive, all given back on dispose.</summary>
internal sealed class BodyReservation(BodyBudget budget, CancellationToken requestAborted) : IDisposable
{
    /// <summary>Room is taken at most this much at a time, so a slow upload holds only what it has sent.</summary>
    public const int Step = 1024 * 1024;

    private readonly List<RateLimitLease> _leases = [];

    /// <summary>The bytes this body may hold so far: whole units of the budget (<see cref="BodyBudget.BytesPerPermit"/>).</summary>
    public long Bytes { get; private set; }

    /// <summary>
    /// Room for at least <paramref name="bytes"/> more bytes (rounded up to whole units); throws
    /// <see cref="BodyBudgetExceededException"/> when there is none in time.
    /// </summary>
    public async ValueTask GrowAsync(long bytes)
    {
        var (lease, granted) = await budget.TakeAsync(bytes, requestAborted);
        _leases.Add(lease ?? throw new BodyBudgetExceededException(budget.CapacityBytes));
        Bytes += granted;
    }

    public void Dispose()
    {
        if (Bytes > BodyBuffers.MaxPooledBytes)
        {
            // The body (or a door's copy of it) this room was for is garbage now, on the large object heap.
            BodyBuffers.LargeGarbage();
        }
        foreach (var lease in _leases)
        {
            lease.Dispose();
        }
        _leases.Clear();
        Bytes = 0;
    }
}
