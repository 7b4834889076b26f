using System.Buffers;
using System.Text;
using LlmProxy.Metrics;

namespace LlmProxy.Tests.Metrics;

/// <summary>The exposition text of a registry or a family, as a string.</summary>
internal static class Scrape
{
    public static string Of(MetricsRegistry registry)
    {
        var buffer = new ArrayBufferWriter<byte>();
        registry.WriteTo(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string Of(MetricFamily family)
    {
        var buffer = new ArrayBufferWriter<byte>();
        family.WriteTo(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string Double(double value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        PrometheusText.WriteDouble(buffer, value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
