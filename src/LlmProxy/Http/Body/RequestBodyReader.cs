using System.Buffers;
using LlmProxy.Configuration;

namespace LlmProxy.Http.Body;

/// <summary>
/// Reads a request body once into a pooled, bounded buffer (ARCHITECTURE: "read once into a pooled buffer, bounded").
/// Returns null when the body exceeds the limit; the caller answers 413.
/// </summary>
public static class RequestBodyReader
{
    private const int InitialSize = 4096;

    public static async ValueTask<PooledBody?> ReadAsync(HttpRequest request, ProxySettings settings, CancellationToken cancellationToken)
    {
        var limit = settings.EffectiveMaxRequestBytes;
        var declared = request.ContentLength;
        if (declared > limit)
        {
            return null;
        }
        // Rent what Content-Length announces (+1 to see an over-long body without a second rent), capped by the limit.
        var size = declared is { } d ? (int)Math.Min(d + 1, limit + 1) : InitialSize;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(size, 16));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = grown;
                }
                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return null;
                }
            }
            return new PooledBody(buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
