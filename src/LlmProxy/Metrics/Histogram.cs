using System.Buffers;
using System.Text;

namespace LlmProxy.Metrics;

/// <summary>
/// A histogram family. Upper bounds are given without <c>+Inf</c>, which is always added; each series keeps one
/// long counter per bucket (not cumulative, so an observation touches one bucket) and makes them cumulative when
/// written, which also makes the <c>+Inf</c> bucket equal <c>_count</c> by construction.
/// </summary>
public sealed class Histogram : LabelledFamily<HistogramChild>
{
    /// <summary>
    /// Request durations from 5 ms to 5 minutes: local models answer fast, but a long generation or a cold model load
    /// takes minutes (CONTRACT §7 asks for at least 120 s).
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
        if (labelNames.Length == 0)
        {
            _ = Labels();
        }
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

    protected override void WriteSamples(IBufferWriter<byte> writer)
    {
        foreach (var child in Children)
        {
            child.WriteTo(writer);
        }
    }
}
