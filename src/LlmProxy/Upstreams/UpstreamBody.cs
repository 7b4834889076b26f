using System.Buffers;
using LlmProxy.Http.Body;

namespace LlmProxy.Upstreams;

/// <summary>Reads an upstream body into a pooled buffer, bounded, restarting the idle clock on every read.</summary>
public static class UpstreamBody
{
    /// <summary>Error bodies are short; anything past this is not a message a client needs.</summary>
    public const int ErrorBodyLimit = 64 * 1024;

    /// <summary>
    /// The whole body. Past <paramref name="limit"/> bytes it is cut there when <paramref name="truncate"/> (error
    /// messages), else <see cref="UpstreamBodyTooLargeException"/> is thrown.
    /// </summary>
    public static async Task<PooledBody> ReadAsync(Stream stream, int limit, IdleTimeout idle, bool truncate)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == Math.Min(buffer.Length, limit))
                {
                    if (length >= limit)
                    {
                        if (truncate)
                        {
                            break;
                        }
                        throw new UpstreamBodyTooLargeException(limit);
                    }
                    var grown = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit));
                    buffer.AsSpan(0, length).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = grown;
                }
                var read = await stream.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, limit) - length), idle.Token);
                if (read == 0)
                {
                    break;
                }
                idle.Touch();
                length += read;
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
