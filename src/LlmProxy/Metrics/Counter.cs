using System.Buffers;

namespace LlmProxy.Metrics;

/// <summary>A counter family: whole-number totals that only go up (names end in <c>_total</c>, as promtool demands).</summary>
public sealed class Counter : LabelledFamily<CounterChild>
{
    public Counter(string name, string help, params string[] labelNames)
        : base(name, help, MetricType.Counter, labelNames)
    {
        if (labelNames.Length == 0)
        {
            // A family without labels always has its one series, so it reads 0 before the first event.
            _ = Labels();
        }
    }

    protected override CounterChild CreateChild(byte[] labelPairs) => new(SamplePrefix(Name, labelPairs));

    protected override void WriteSamples(IBufferWriter<byte> writer)
    {
        foreach (var child in Children)
        {
            child.WriteTo(writer);
        }
    }
}
