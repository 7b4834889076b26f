using System.Buffers;

namespace LlmProxy.Http.Body;

/// <summary>
/// Where body buffers come from (docs/security.md, Memory): up to <see cref="MaxPooledBytes"/> from
/// <see cref="ArrayPool{T}.Shared"/>, larger ones allocated at their exact size and left to the GC when done. The shared
/// pool keeps what it is given for reuse, so a burst of 25 MB bodies returned to it would stay resident long after the
/// burst; a chat request or a stream event rarely needs more than a megabyte, so pooling stops there.
/// </summary>
internal static class BodyBuffers
{
    public const int MaxPooledBytes = 1024 * 1024;

    /// <summary>A buffer of at least <paramref name="minimumLength"/> bytes (exactly that many when it is not pooled).</summary>
    public static byte[] Rent(int minimumLength) => minimumLength <= MaxPooledBytes
        ? ArrayPool<byte>.Shared.Rent(minimumLength)
        // Uninitialized: the bytes are about to be overwritten, and untouched pages of a large array cost no RSS.
        : GC.AllocateUninitializedArray<byte>(minimumLength);

    /// <summary>Gives a buffer from <see cref="Rent"/> back: to the pool when it came from there, else to the GC.</summary>
    public static void Return(byte[] buffer)
    {
        if (buffer.Length <= MaxPooledBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
