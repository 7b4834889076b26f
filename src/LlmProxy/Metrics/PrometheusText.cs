using System.Buffers;
using System.Globalization;
using System.Text;

namespace LlmProxy.Metrics;

/// <summary>
/// The Prometheus text exposition format 0.0.4, to the letter
/// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): escaping of label values and
/// HELP text, float formatting (<c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>, invariant culture), and the UTF-8 encoding
/// done once per series so a scrape only copies bytes.
/// </summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly byte[] PositiveInfinity = "+Inf"u8.ToArray();
    private static readonly byte[] NegativeInfinity = "-Inf"u8.ToArray();
    private static readonly byte[] NotANumber = "NaN"u8.ToArray();

    /// <summary>
    /// A label value: backslash, double quote and line feed are the three characters the format escapes
    /// (<c>\\</c>, <c>\"</c>, <c>\n</c>); everything else, any Unicode included, is written as UTF-8.
    /// </summary>
    public static string EscapeLabelValue(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', '"', '\n') < 0)
        {
            return value;
        }
        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => builder.Append(@"\\"),
                '"' => builder.Append("\\\""),
                '\n' => builder.Append(@"\n"),
                _ => builder.Append(c),
            };
        }
        return builder.ToString();
    }

    /// <summary>
    /// HELP text: only backslash and line feed are escaped (a double quote stays as it is). prometheus-net forgets
    /// this, and a line feed in HELP then ends the comment and breaks the scrape.
    /// </summary>
    public static string EscapeHelp(string help)
    {
        if (help.AsSpan().IndexOfAny('\\', '\n') < 0)
        {
            return help;
        }
        return help.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);
    }

    /// <summary>The <c># HELP</c> and <c># TYPE</c> lines of a family, as UTF-8.</summary>
    public static byte[] EncodeHeader(string name, string help, MetricType type)
    {
        var typeName = type switch
        {
            MetricType.Counter => "counter",
            MetricType.Gauge => "gauge",
            _ => "histogram",
        };
        return Encoding.UTF8.GetBytes($"# HELP {name} {EscapeHelp(help)}\n# TYPE {name} {typeName}\n");
    }

    /// <summary><c>a="x",b="y"</c> (no braces), escaped and encoded once when a series is created.</summary>
    public static byte[] EncodeLabelPairs(IReadOnlyList<string> names, IReadOnlyList<string> values)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < names.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }
            builder.Append(names[i]).Append("=\"").Append(EscapeLabelValue(values[i])).Append('"');
        }
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>A float as Prometheus (Go's <c>strconv.ParseFloat</c>) reads it: shortest round-trip, invariant culture.</summary>
    public static void WriteDouble(IBufferWriter<byte> writer, double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            writer.Write(PositiveInfinity);
            return;
        }
        if (double.IsNegativeInfinity(value))
        {
            writer.Write(NegativeInfinity);
            return;
        }
        if (double.IsNaN(value))
        {
            writer.Write(NotANumber);
            return;
        }
        var span = writer.GetSpan(32);
        if (!value.TryFormat(span, out var written, "R", CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("a double did not fit in 32 bytes");
        }
        writer.Advance(written);
    }

    public static void WriteLong(IBufferWriter<byte> writer, long value)
    {
        var span = writer.GetSpan(20);
        if (!value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("a long did not fit in 20 bytes");
        }
        writer.Advance(written);
    }

    /// <summary>The text a float becomes, for encoding <c>le</c> bucket bounds once.</summary>
    public static string FormatDouble(double value)
    {
        var buffer = new ArrayBufferWriter<byte>(32);
        WriteDouble(buffer, value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
