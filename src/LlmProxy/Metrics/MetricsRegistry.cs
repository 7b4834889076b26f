using System.Buffers;

namespace LlmProxy.Metrics;

/// <summary>
/// The families one proxy instance exposes at <c>/metrics</c>, in registration order. Registration is rare and
/// locked; a scrape reads a snapshot array; recording never touches the registry.
/// </summary>
internal sealed class MetricsRegistry
{
    private readonly Lock _lock = new();
    private MetricFamily[] _families = [];

    public IReadOnlyList<MetricFamily> Families => Volatile.Read(ref _families);

    public Counter CreateCounter(string name, string help, params string[] labelNames) => Register(new Counter(name, help, labelNames));

    public Gauge CreateGauge(string name, string help, params string[] labelNames) => Register(new Gauge(name, help, labelNames));

    public Histogram CreateHistogram(string name, string help, double[] upperBounds, params string[] labelNames) =>
        Register(new Histogram(name, help, upperBounds, labelNames));

    /// <summary>Adds a family; a second family with the same name is refused (a scrape must not repeat a name).</summary>
    public T Register<T>(T family)
        where T : MetricFamily
    {
        ArgumentNullException.ThrowIfNull(family);
        lock (_lock)
        {
            if (_families.Any(f => f.Name == family.Name))
            {
                throw new InvalidOperationException($"metric '{family.Name}' is already registered");
            }
            Volatile.Write(ref _families, [.. _families, family]);
        }
        return family;
    }

    /// <summary>Writes every family in the text exposition format 0.0.4 (UTF-8).</summary>
    public void WriteTo(IBufferWriter<byte> writer)
    {
        foreach (var family in Families)
        {
            family.WriteTo(writer);
        }
    }
}
