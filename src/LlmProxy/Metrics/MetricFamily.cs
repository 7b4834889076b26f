using System.Buffers;

namespace LlmProxy.Metrics;

/// <summary>One metric family: a name, its HELP and TYPE lines, and the samples written at scrape time.</summary>
internal abstract class MetricFamily
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

/// <summary>The metric types of the Prometheus text exposition format 0.0.4 that the proxy exposes.</summary>
internal enum MetricType
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>Name rules of the data model (https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels).</summary>
internal static class MetricNames
{
    private static readonly SearchValues<char> NameChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:");

    private static readonly SearchValues<char> LabelChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

    /// <summary><c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>.</summary>
    public static bool IsValidMetricName(string name) =>
        name.Length > 0 && IsNameStart(name[0], allowColon: true) && name.AsSpan(1).ContainsAnyExcept(NameChars) is false;

    /// <summary><c>[a-zA-Z_][a-zA-Z0-9_]*</c>, and not starting with <c>__</c> (reserved for Prometheus itself).</summary>
    public static bool IsValidLabelName(string name) =>
        name.Length > 0 && IsNameStart(name[0], allowColon: false) && !name.StartsWith("__", StringComparison.Ordinal)
        && name.AsSpan(1).ContainsAnyExcept(LabelChars) is false;

    private static bool IsNameStart(char c, bool allowColon) => char.IsAsciiLetter(c) || c == '_' || (allowColon && c == ':');
}
