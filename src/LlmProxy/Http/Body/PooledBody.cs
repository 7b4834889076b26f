using System.Buffers;

namespace LlmProxy.Http.Body;

/// <summary>
/// A body held in a buffer rented from <see cref="ArrayPool{T}.Shared"/>; dispose to return it. One reader fills it for
/// every body the proxy holds whole: a client's request, an upstream's answer or error.
/// </summary>
internal sealed class PooledBody : IDisposable
{
    private const int DefaultSizeHint = 4096;

    private byte[]? _buffer;

    private PooledBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
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
    public static async ValueTask<PooledBody> ReadAsync(Stream source, int limit, CancellationToken cancellationToken, long? sizeHint = null, Action? onRead = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var most = limit + 1;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(sizeHint + 1 ?? DefaultSizeHint, 16), most));
        var length = 0;
        try
        {
            while (length < most)
            {
                if (length == buffer.Length)
                {
                    var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, most));
                    buffer.AsSpan(0, length).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = grown;
                }
                var read = await source.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, most) - length), cancellationToken);
                if (read == 0)
                {
                    break;
                }
                length += read;
                onRead?.Invoke();
            }
            return new PooledBody(buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>
    /// Takes over <paramref name="rented"/> (rented from <see cref="ArrayPool{T}.Shared"/> by the caller) holding
    /// <paramref name="length"/> bytes: a body the proxy made itself, such as an edited request.
    /// </summary>
    public static PooledBody Adopt(byte[] rented, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, rented.Length);
        return new PooledBody(rented, length);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
