using System.Buffers;

namespace LlmProxy.Metrics;

/// <summary>One counter series. Increments are a single <see cref="Interlocked"/> add: no lock, no allocation.</summary>
public sealed class CounterChild
{
    private readonly byte[] _samplePrefix;
    private long _value;

    internal CounterChild(byte[] samplePrefix) => _samplePrefix = samplePrefix;

    public long Value => Interlocked.Read(ref _value);

    public void Inc() => Interlocked.Increment(ref _value);

    /// <summary>Adds <paramref name="amount"/>, which must not be negative (a counter never goes down).</summary>
    public void Inc(long amount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        Interlocked.Add(ref _value, amount);
    }

    internal void WriteTo(IBufferWriter<byte> writer)
    {
        writer.Write(_samplePrefix);
        PrometheusText.WriteLong(writer, Value);
        writer.Write("\n"u8);
    }
}
