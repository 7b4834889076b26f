using System.Buffers;

namespace LlmProxy.Metrics;

/// <summary>
/// One histogram series. An observation is one <see cref="Interlocked.Increment(ref long)"/> on its bucket plus a
/// compare-and-swap loop that adds to the sum kept as the bits of a double: lock-free, no allocation.
/// </summary>
public sealed class HistogramChild
{
    private readonly double[] _upperBounds;
    private readonly byte[][] _leSuffixes;
    private readonly byte[] _bucketPrefix;
    private readonly byte[] _sumPrefix;
    private readonly byte[] _countPrefix;
    private readonly long[] _buckets;
    private long _sumBits;

    internal HistogramChild(double[] upperBounds, byte[][] leSuffixes, byte[] bucketPrefix, byte[] sumPrefix, byte[] countPrefix)
    {
        _upperBounds = upperBounds;
        _leSuffixes = leSuffixes;
        _bucketPrefix = bucketPrefix;
        _sumPrefix = sumPrefix;
        _countPrefix = countPrefix;
        _buckets = new long[upperBounds.Length + 1];
    }

    /// <summary>Records one value (e.g. seconds). It lands in the first bucket whose bound is ≥ the value, else <c>+Inf</c>.</summary>
    public void Observe(double value)
    {
        var bounds = _upperBounds;
        var index = 0;
        while (index < bounds.Length && !(value <= bounds[index]))
        {
            index++;
        }
        Interlocked.Increment(ref _buckets[index]);

        var current = Interlocked.Read(ref _sumBits);
        while (true)
        {
            var updated = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(current) + value);
            var seen = Interlocked.CompareExchange(ref _sumBits, updated, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }

    public long Count
    {
        get
        {
            long total = 0;
            foreach (ref var bucket in _buckets.AsSpan())
            {
                total += Interlocked.Read(ref bucket);
            }
            return total;
        }
    }

    public double Sum => BitConverter.Int64BitsToDouble(Interlocked.Read(ref _sumBits));

    internal void WriteTo(IBufferWriter<byte> writer)
    {
        long cumulative = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            cumulative += Interlocked.Read(ref _buckets[i]);
            writer.Write(_bucketPrefix);
            writer.Write(_leSuffixes[i]);
            PrometheusText.WriteLong(writer, cumulative);
            writer.Write("\n"u8);
        }
        writer.Write(_sumPrefix);
        PrometheusText.WriteDouble(writer, Sum);
        writer.Write("\n"u8);
        // _count is the +Inf bucket's value, read in the same pass: the two can never disagree in one scrape.
        writer.Write(_countPrefix);
        PrometheusText.WriteLong(writer, cumulative);
        writer.Write("\n"u8);
    }
}
