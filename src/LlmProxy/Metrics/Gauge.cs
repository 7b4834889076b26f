namespace LlmProxy.Metrics;

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
