using System.Buffers;

namespace LlmProxy.Metrics;

/// <summary>One metric family: a name, its HELP and TYPE lines, and the samples written at scrape time.</summary>
public abstract class MetricFamily
{
    private readonly byte[] _header;

    protected MetricFamily(string name, string help, MetricType type, IReadOnlyList<string> labelNames)
    {
        ArgumentNullException.ThrowIfNull(help);
        ArgumentNullException.ThrowIfNull(labelNames);
        if (!MetricNames.IsValidMetricName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid metric name", nameof(name));
        }
        foreach (var label in labelNames)
        {
            if (!MetricNames.IsValidLabelName(label))
            {
                throw new ArgumentException($"'{label}' is not a valid label name", nameof(labelNames));
            }
        }
        if (labelNames.Distinct(StringComparer.Ordinal).Count() != labelNames.Count)
        {
            throw new ArgumentException($"'{name}' repeats a label name", nameof(labelNames));
        }
        Name = name;
        Help = help;
        Type = type;
        LabelNames = labelNames;
        _header = PrometheusText.EncodeHeader(name, help, type);
    }

    public string Name { get; }
    public string Help { get; }
    public MetricType Type { get; }
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>Writes the family: HELP, TYPE, then every series. A labelled family with no series yet writes only HELP and TYPE.</summary>
    public virtual void WriteTo(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_header);
        WriteSamples(writer);
    }

    protected abstract void WriteSamples(IBufferWriter<byte> writer);
}
