using System.Buffers;

namespace LlmProxy.Metrics;

/// <summary>
/// A family without labels whose one value is read at scrape time (process metrics). When the reading is not
/// available on this platform the family is left out of the scrape rather than reported as a made-up number.
/// </summary>
internal sealed class CallbackMetric : MetricFamily
{
    private readonly Func<double?> _read;
    private readonly byte[] _samplePrefix;

    public CallbackMetric(string name, string help, MetricType type, Func<double?> read)
        : base(name, help, type, [])
    {
        if (type == MetricType.Histogram)
        {
            throw new ArgumentException("a callback metric is a counter or a gauge", nameof(type));
        }
        _read = read ?? throw new ArgumentNullException(nameof(read));
        _samplePrefix = System.Text.Encoding.UTF8.GetBytes(name + " ");
    }

    public override void WriteTo(IBufferWriter<byte> writer)
    {
        if (_read() is not { } value)
        {
            return;
        }
        base.WriteTo(writer);
        writer.Write(_samplePrefix);
        PrometheusText.WriteDouble(writer, value);
        writer.Write("\n"u8);
    }

    protected override void WriteSamples(IBufferWriter<byte> writer)
    {
    }
}
