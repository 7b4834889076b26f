namespace LlmProxy.Http.Body;

/// <summary>
/// A body held whole in one buffer (<see cref="BodyBuffers"/>: pooled up to 1 MiB, exact-size and unpooled above);
/// dispose to give the buffer back, and the body's room in the <see cref="BodyBudget"/> with it. One reader fills it
/// for every body the proxy holds whole: a client's request, an upstream's answer or error.
/// </summary>
internal sealed class PooledBody : IDisposable
{
    private const int DefaultSizeHint = 4096;

    private byte[]? _buffer;
    private BodyReservation? _reservation;

    private PooledBody(byte[] buffer, int length, BodyReservation? reservation)
    {
        _buffer = buffer;
        Length = length;
        _reservation = reservation;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => _buffer is { } b ? b.AsMemory(0, Length) : throw new ObjectDisposedException(nameof(PooledBody));

    public ReadOnlySpan<byte> Span => Memory.Span;

    /// <summary>
    /// Reads <paramref name="source"/> to its end, or until it has more than <paramref name="limit"/> bytes: the body
    /// then holds <paramref name="limit"/> + 1 bytes, so the caller can tell "exactly the limit" from "too long" (and
    /// cut, refuse or stream on, as it must) without a second read. The buffer starts at <paramref name="sizeHint"/>
    /// (a Content-Length, when known) and doubles, bounded by the limit.
    /// </summary>
    /// <param name="onRead">Called after every read that returned bytes (an idle timer that restarts on activity).</param>
    /// <param name="reservation">
    /// The body's room in the budget of bodies in flight: bytes are read only into room already taken. A body with a
    /// declared length (<paramref name="sizeHint"/>) takes its whole room before its first byte is read, all or nothing;
    /// a body of unknown length (chunked) takes it a step at a time as bytes arrive. All-or-nothing matters: bodies that
    /// each held part of their room and waited for the rest would wait on each other until all were refused. The body
    /// owns the reservation from here on. Throws <see cref="BodyBudgetExceededException"/> when no room came in time.
    /// </param>
    public static async ValueTask<PooledBody> ReadAsync(Stream source, int limit, CancellationToken cancellationToken, long? sizeHint = null,
        Action? onRead = null, BodyReservation? reservation = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var most = limit + 1;
        byte[]? buffer = null;
        var length = 0;
        try
        {
            if (reservation is not null && sizeHint is > 0 and var announced)
            {
                // Room first, then the buffer: a body that waits for room holds no memory while it waits.
                await reservation.GrowAsync(Math.Min(announced + 1, most));
            }
            buffer = BodyBuffers.Rent((int)Math.Min(Math.Max(sizeHint + 1 ?? DefaultSizeHint, 16), most));
            while (length < most)
            {
                if (length == buffer.Length)
                {
                    var grown = BodyBuffers.Rent((int)Math.Min((long)buffer.Length * 2, most));
                    buffer.AsSpan(0, length).CopyTo(grown);
                    BodyBuffers.Return(buffer);
                    buffer = grown;
                }
                var end = Math.Min(buffer.Length, most);
                if (reservation is not null)
                {
                    if (length == reservation.Bytes)
                    {
                        // The declared length at once (pooled buffers come in powers of two: never more than that);
                        // without one, a step at a time.
                        var want = sizeHint is { } declared && declared + 1 > length
                            ? (int)Math.Min(end - length, declared + 1 - length)
                            : Math.Min(end - length, BodyReservation.Step);
                        await reservation.GrowAsync(want);
                    }
                    end = (int)Math.Min(end, reservation.Bytes);
                }
                var read = await source.ReadAsync(buffer.AsMemory(length, end - length), cancellationToken);
                if (read == 0)
                {
                    break;
                }
                length += read;
                onRead?.Invoke();
            }
            return new PooledBody(buffer, length, reservation);
        }
        catch
        {
            if (buffer is not null)
            {
                BodyBuffers.Return(buffer);
            }
            reservation?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Hands the body's room in the budget to the caller, who keeps it for a copy of the body that outlives it (a door
    /// that sends the upstream a rewritten body); disposing the body then gives back only its buffer.
    /// </summary>
    public BodyReservation? DetachReservation() => Interlocked.Exchange(ref _reservation, null);

    /// <summary>The body's room in the budget (null when there is none, or once detached).</summary>
    public BodyReservation? Reservation => Volatile.Read(ref _reservation);

    /// <summary>
    /// Takes over <paramref name="rented"/> (rented from <see cref="ArrayPool{T}.Shared"/> by the caller) holding
    /// <paramref name="length"/> bytes: a body the proxy made itself, such as an edited request.
    /// </summary>
    public static PooledBody Adopt(byte[] rented, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, rented.Length);
        return new PooledBody(rented, length, null);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            BodyBuffers.Return(buffer);
        }
        Interlocked.Exchange(ref _reservation, null)?.Dispose();
    }
}
