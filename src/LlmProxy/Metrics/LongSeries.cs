using System.Buffers;

namespace LlmProxy.Metrics;

/// <summary>
/// A series holding one whole number, changed with a single <see cref="Interlocked"/> operation: no lock, no
/// allocation. The common part of a counter's and a gauge's children, which differ only in how the number may move.
/// </summary>
internal abstract class LongSeries(byte[] samplePrefix) : IMetricSeries
{
    private long _value;

    public long Value => Interlocked.Read(ref _value);

    public void WriteTo(IBufferWriter<byte> writer)
    {
        writer.Write(samplePrefix);
        PrometheusText.WriteLong(writer, Value);
        writer.Write("\n"u8);
    }

    protected void Add(long amount) => Interlocked.Add(ref _value, amount);

    protected void Exchange(long value) => Interlocked.Exchange(ref _value, value);
}

/// <summary>A counter family: whole-number totals that only go up (names end in <c>_total</c>, as promtool demands).</summary>
internal sealed class Counter(string name, string help, params string[] labelNames)
    : LabelledFamily<CounterChild>(name, help, MetricType.Counter, labelNames)
{
    protected override CounterChild CreateChild(byte[] labelPairs) => new(SamplePrefix(Name, labelPairs));
}

/// <summary>One counter series.</summary>
internal sealed class CounterChild(byte[] samplePrefix) : LongSeries(samplePrefix)
{
    public void Inc() => Add(1);

    /// <summary>Adds <paramref name="amount"/>, which must not be negative (a counter never goes down).</summary>
    public void Inc(long amount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        Add(amount);
    }
}

// A gauge's family is a counter's but for its type: the two stay apart so that each reads alone, and differ only in
// how their series may move.

/// <summary>A gauge family of whole numbers that go up and down (in-flight requests and streams).</summary>
internal sealed class Gauge(string name, string help, params string[] labelNames)
    : LabelledFamily<GaugeChild>(name, help, MetricType.Gauge, labelNames)
{
    protected override GaugeChild CreateChild(byte[] labelPairs) => new(SamplePrefix(Name, labelPairs));
}

/// <summary>One gauge series.</summary>
internal sealed class GaugeChild(byte[] samplePrefix) : LongSeries(samplePrefix)
{
    public void Inc() => Add(1);

    public void Dec() => Add(-1);

    public void Set(long value) => Exchange(value);
}
