using System.Buffers;
using System.Text;

namespace LlmProxy.Metrics;

/// <summary>
/// A histogram family. Upper bounds are given without <c>+Inf</c>, which is always added; each series keeps one
/// long counter per bucket (not cumulative, so an observation touches one bucket) and makes them cumulative when
/// written, which also makes the <c>+Inf</c> bucket equal <c>_count</c> by construction.
/// </summary>
internal sealed class Histogram : LabelledFamily<HistogramChild>
{
    /// <summary>
    /// Request durations from 5 ms to 5 minutes: local models answer fast, but a long generation or a cold model load
    /// takes minutes (docs/operations.md, Metrics: buckets reach 300 s).
    /// </summary>
    public static readonly double[] LlmDurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly double[] _upperBounds;
    private readonly byte[][] _leSuffixes;

    public Histogram(string name, string help, double[] upperBounds, params string[] labelNames)
        : base(name, help, MetricType.Histogram, labelNames)
    {
        ArgumentNullException.ThrowIfNull(upperBounds);
        if (labelNames.Contains("le", StringComparer.Ordinal))
        {
            throw new ArgumentException("'le' is reserved for histogram buckets", nameof(labelNames));
        }
        if (upperBounds.Length == 0 || upperBounds.Any(b => !double.IsFinite(b)))
        {
            throw new ArgumentException("histogram bounds must be finite numbers (+Inf is added)", nameof(upperBounds));
        }
        for (var i = 1; i < upperBounds.Length; i++)
        {
            if (upperBounds[i] <= upperBounds[i - 1])
            {
                throw new ArgumentException("histogram bounds must increase", nameof(upperBounds));
            }
        }
        _upperBounds = [.. upperBounds];
        _leSuffixes = [.. upperBounds.Select(b => Encoding.UTF8.GetBytes($"le=\"{PrometheusText.FormatDouble(b)}\"}} ")), "le=\"+Inf\"} "u8.ToArray()];
    }

    public IReadOnlyList<double> UpperBounds => _upperBounds;

    protected override HistogramChild CreateChild(byte[] labelPairs)
    {
        var nameBytes = Encoding.UTF8.GetBytes(Name);
        byte[] bucketPrefix = labelPairs.Length == 0
            ? [.. nameBytes, .. "_bucket{"u8]
            : [.. nameBytes, .. "_bucket{"u8, .. labelPairs, (byte)','];
        return new HistogramChild(
            _upperBounds,
            _leSuffixes,
            bucketPrefix,
            SamplePrefix(Name + "_sum", labelPairs),
            SamplePrefix(Name + "_count", labelPairs));
    }
}

/// <summary>
/// One histogram series. An observation is one <see cref="Interlocked.Increment(ref long)"/> on its bucket plus a
/// compare-and-swap loop that adds to the sum kept as the bits of a double: lock-free, no allocation.
/// </summary>
internal sealed class HistogramChild : IMetricSeries
{
    private readonly double[] _upperBounds;
    private readonly byte[][] _leSuffixes;
    private readonly byte[] _bucketPrefix;
    private readonly byte[] _sumPrefix;
    private readonly byte[] _countPrefix;
    private readonly long[] _buckets;
    private long _sumBits;

    public HistogramChild(double[] upperBounds, byte[][] leSuffixes, byte[] bucketPrefix, byte[] sumPrefix, byte[] countPrefix)
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

    /// <summary>The upper bounds of the buckets, without <c>+Inf</c>.</summary>
    public IReadOnlyList<double> UpperBounds => _upperBounds;

    /// <summary>
    /// The cumulative bucket counts as a scrape writes them (the last one is <c>+Inf</c>, equal to the count), into
    /// <paramref name="destination"/>, which holds <see cref="UpperBounds"/>.Count + 1 values.
    /// </summary>
    public void CopyCumulativeBuckets(Span<long> destination)
    {
        long cumulative = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            cumulative += Interlocked.Read(ref _buckets[i]);
            destination[i] = cumulative;
        }
    }

    public void WriteTo(IBufferWriter<byte> writer)
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
