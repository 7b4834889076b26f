using System.Threading.RateLimiting;

namespace LlmProxy.Http.Body;

/// <summary>The room one body holds in the <see cref="BodyBudget"/>: taken step by step as bytes arrive, all given back on dispose.</summary>
internal sealed class BodyReservation(BodyBudget budget, CancellationToken requestAborted) : IDisposable
{
    /// <summary>Room is taken at most this much at a time, so a slow upload holds only what it has sent.</summary>
    public const int Step = 1024 * 1024;

    private readonly List<RateLimitLease> _leases = [];

    /// <summary>The bytes this body may hold so far.</summary>
    public long Bytes { get; private set; }

    /// <summary>Room for <paramref name="bytes"/> more bytes; throws <see cref="BodyBudgetExceededException"/> when there is none in time.</summary>
    public async ValueTask GrowAsync(long bytes)
    {
        var lease = await budget.TakeAsync(bytes, requestAborted) ?? throw new BodyBudgetExceededException(budget.CapacityBytes);
        _leases.Add(lease);
        Bytes += bytes;
    }

    public void Dispose()
    {
        foreach (var lease in _leases)
        {
            lease.Dispose();
        }
        _leases.Clear();
        Bytes = 0;
    }
}
