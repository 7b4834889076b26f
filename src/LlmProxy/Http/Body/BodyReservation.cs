using System.Threading.RateLimiting;

namespace LlmProxy.Http.Body;

/// <summary>
/// The room one body holds in the <see cref="BodyBudget"/>: taken step by step as bytes arrive, all given back on dispose.
/// A door's copy of a body (a translated request) has a reservation of its own opened <paramref name="alongside"/> the
/// body's: the two together are one request's room.
/// </summary>
internal sealed class BodyReservation(BodyBudget budget, CancellationToken requestAborted, BodyReservation? alongside = null) : IDisposable
{
    /// <summary>Room is taken at most this much at a time, so a slow upload holds only what it has sent.</summary>
    public const int Step = 1024 * 1024;

    private readonly List<RateLimitLease> _leases = [];

    /// <summary>The bytes this body may hold so far: whole units of the budget (<see cref="BodyBudget.BytesPerPermit"/>).</summary>
    public long Bytes { get; private set; }

    /// <summary>The units of the budget this reservation holds (fewer than <see cref="Bytes"/> asks once it holds the whole budget).</summary>
    public int Permits { get; private set; }

    /// <summary>
    /// Room for at least <paramref name="bytes"/> more bytes (rounded up to whole units); throws
    /// <see cref="BodyBudgetExceededException"/> when there is none in time. One request never asks for more than the
    /// whole budget (its body and its copy together): what it needs beyond that is granted without taking more, as for
    /// one body larger than the budget. Otherwise a request whose copy could never fit beside its own body would wait on
    /// itself and be refused, although MAX_INFLIGHT_BODY_BYTES is at least MAX_REQUEST_BYTES.
    /// </summary>
    public async ValueTask GrowAsync(long bytes)
    {
        var room = budget.PermitLimit - Permits - (alongside?.Permits ?? 0);
        if (room <= 0)
        {
            Bytes += bytes;
            return;
        }
        var (lease, granted, permits) = await budget.TakeAsync(bytes, room, requestAborted);
        _leases.Add(lease ?? throw new BodyBudgetExceededException(budget.CapacityBytes));
        Bytes += granted;
        Permits += permits;
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
        Permits = 0;
    }
}
