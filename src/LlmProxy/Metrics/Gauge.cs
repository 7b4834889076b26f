using System.Buffers;

namespace LlmProxy.Metrics;

/// <summary>A gauge family of whole numbers that go up and down (in-flight requests and streams).</summary>
public sealed class Gauge : LabelledFamily<GaugeChild>
{
    public Gauge(string name, string help, params string[] labelNames)
        : base(name, help, MetricType.Gauge, labelNames)
    {
        if (labelNames.Length == 0)
        {
            _ = Labels();
        }
    }

    protected override GaugeChild CreateChild(byte[] labelPairs) => new(SamplePrefix(Name, labelPairs));

    protected override void WriteSamples(IBufferWriter<byte> writer)
    {
        foreach (var child in Children)
        {
            child.WriteTo(writer);
        }
    }
}
