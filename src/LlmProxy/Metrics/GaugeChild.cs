using System.Buffers;

namespace LlmProxy.Metrics;

/// <summary>One gauge series: <see cref="Interlocked"/> increments and decrements, no lock, no allocation.</summary>
public sealed class GaugeChild
{
    private readonly byte[] _samplePrefix;
    private long _value;

    internal GaugeChild(byte[] samplePrefix) => _samplePrefix = samplePrefix;

    public long Value => Interlocked.Read(ref _value);

    public void Inc() => Interlocked.Increment(ref _value);

    public void Dec() => Interlocked.Decrement(ref _value);

    public void Set(long value) => Interlocked.Exchange(ref _value, value);

    internal void WriteTo(IBufferWriter<byte> writer)
    {
        writer.Write(_samplePrefix);
        PrometheusText.WriteLong(writer, Value);
        writer.Write("\n"u8);
    }
}
