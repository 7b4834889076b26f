using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace LlmProxy.Metrics;

/// <summary>One series of a family: it writes its own sample lines at scrape time.</summary>
internal interface IMetricSeries
{
    void WriteTo(IBufferWriter<byte> writer);
}

/// <summary>
/// A family whose series (children) are keyed by label values. A series is created once — its label text escaped
/// and encoded to UTF-8 then — and afterwards found with one lock-free dictionary lookup that allocates nothing;
/// callers on a hot path keep the child and only increment it. Scrapes write series in creation order; a family
/// without labels always shows its one series, so it reads 0 before the first event.
/// </summary>
internal abstract class LabelledFamily<TChild> : MetricFamily
    where TChild : class, IMetricSeries
{
    private readonly ConcurrentDictionary<LabelKey, TChild> _children = new();
    private readonly Lock _createLock = new();
    private MetricSeries<TChild>[] _ordered = [];

    protected LabelledFamily(string name, string help, MetricType type, IReadOnlyList<string> labelNames)
        : base(name, help, type, labelNames)
    {
        if (labelNames.Count > 3)
        {
            throw new ArgumentException("at most three labels per family are supported", nameof(labelNames));
        }
    }

    /// <summary>The series of a family without labels.</summary>
    public TChild Labels() => Get(LabelKey.None, 0);

    public TChild Labels(string first) => Get(new LabelKey(Required(first), null, null), 1);

    public TChild Labels(string first, string second) => Get(new LabelKey(Required(first), Required(second), null), 2);

    public TChild Labels(string first, string second, string third) =>
        Get(new LabelKey(Required(first), Required(second), Required(third)), 3);

    /// <summary>
    /// Every series so far with its label values, in creation order: a snapshot array, read without a lock (the /ui
    /// page reads the same numbers a scrape writes, docs/observability.md).
    /// </summary>
    public IReadOnlyList<MetricSeries<TChild>> Series => Volatile.Read(ref _ordered);

    /// <summary>Makes a series; <paramref name="labelPairs"/> is <c>a="x",b="y"</c> in UTF-8 (empty without labels).</summary>
    protected abstract TChild CreateChild(byte[] labelPairs);

    /// <summary><c>name{labels}</c> or just <c>name</c>, followed by a space: the fixed start of a sample line.</summary>
    protected static byte[] SamplePrefix(string name, byte[] labelPairs)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        return labelPairs.Length == 0
            ? [.. nameBytes, (byte)' ']
            : [.. nameBytes, (byte)'{', .. labelPairs, (byte)'}', (byte)' '];
    }

    protected override void WriteSamples(IBufferWriter<byte> writer)
    {
        if (LabelNames.Count == 0)
        {
            _ = Labels();
        }
        // A snapshot: series created during the scrape appear in the next one.
        foreach (var series in Volatile.Read(ref _ordered))
        {
            series.Child.WriteTo(writer);
        }
    }

    private TChild Get(LabelKey key, int count)
    {
        if (count != LabelNames.Count)
        {
            throw new ArgumentException($"{Name} has {LabelNames.Count} label(s), {count} value(s) given");
        }
        return _children.TryGetValue(key, out var child) ? child : Create(key, count);
    }

    private TChild Create(LabelKey key, int count)
    {
        lock (_createLock)
        {
            if (_children.TryGetValue(key, out var existing))
            {
                return existing;
            }
            var child = CreateChild(PrometheusText.EncodeLabelPairs(LabelNames, key.ToArray(count)));
            Volatile.Write(ref _ordered, [.. _ordered, new MetricSeries<TChild>(key, child)]);
            _children[key] = child;
            return child;
        }
    }

    private static string Required(string value) => value ?? throw new ArgumentNullException(nameof(value), "label values cannot be null");
}

/// <summary>One series of a family and its label values (in the family's label order).</summary>
internal readonly record struct MetricSeries<TChild>(LabelKey Labels, TChild Child);

/// <summary>
/// The label values of one series (up to three labels, the most any family here needs). A value type with ordinal
/// string equality, so looking up an existing series allocates nothing.
/// </summary>
internal readonly record struct LabelKey(string? First, string? Second, string? Third)
{
    public static readonly LabelKey None;

    /// <summary>The value of the label at <paramref name="index"/> (0, 1 or 2) in the family's label order.</summary>
    public string? this[int index] => index switch
    {
        0 => First,
        1 => Second,
        2 => Third,
        _ => null,
    };

    /// <summary>The values in label order, for the one-time encoding of a new series.</summary>
    public string[] ToArray(int count) => count switch
    {
        0 => [],
        1 => [First!],
        2 => [First!, Second!],
        _ => [First!, Second!, Third!],
    };
}
