using System.Buffers;

namespace LlmProxy.Http.Body;

/// <summary>
/// Where body buffers come from (docs/security.md, Memory): up to <see cref="MaxPooledBytes"/> from
/// <see cref="ArrayPool{T}.Shared"/>, larger ones allocated at their exact size and left to the GC when done. The shared
/// pool keeps what it is given for reuse, so a burst of 25 MB bodies returned to it would stay resident long after the
/// burst; a chat request or a stream event rarely needs more than a megabyte, so pooling stops there.
/// </summary>
/// <remarks>
/// Dropped large buffers are garbage on the large object heap, which the GC collects only in a full collection. Bodies
/// arrive faster than the GC's own budget grows, so a burst of large bodies would pile up garbage far beyond the bytes
/// in flight (measured: twelve 25 MB bodies, 426 MB of RSS). So once <see cref="CollectAfterBytes"/> were allocated
/// since the last full collection, giving back a large buffer asks for one: at most one per 32 MiB of large bodies,
/// each on a heap that holds little else (a few milliseconds), which keeps the garbage within one budget's worth.
/// </remarks>
internal static class BodyBuffers
{
    public const int MaxPooledBytes = 1024 * 1024;

    /// <summary>Bytes allocated (by anything) since the last collection this class asked for, before it asks again.</summary>
    public const long CollectAfterBytes = 32L * 1024 * 1024;

    private static long s_allocatedAtCollect;

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
            return;
        }
        LargeGarbage();
    }

    /// <summary>A large body buffer (or a copy of one) became garbage: collect it if large garbage may be piling up.</summary>
    public static void LargeGarbage()
    {
        var allocated = GC.GetTotalAllocatedBytes();
        var last = Interlocked.Read(ref s_allocatedAtCollect);
        if (allocated - last > CollectAfterBytes && Interlocked.CompareExchange(ref s_allocatedAtCollect, allocated, last) == last)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        }
    }
}
