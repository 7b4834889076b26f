using System.Buffers.Binary;
using System.Text;

namespace LlmProxy.Tests.Support;

/// <summary>
/// Reads an OTLP/HTTP trace export (<c>ExportTraceServiceRequest</c> in protobuf) by hand, from the wire format
/// (https://protobuf.dev/programming-guides/encoding/) and the field numbers of opentelemetry-proto's trace.proto,
/// resource.proto and common.proto: what a collector would see, without a protobuf library in the tests.
/// </summary>
public static class OtlpTraces
{
    public static List<OtlpSpan> Decode(ReadOnlySpan<byte> exportRequest)
    {
        var spans = new List<OtlpSpan>();
        foreach (var resourceSpans in Fields(exportRequest))
        {
            if (resourceSpans.Number != 1)
            {
                continue;
            }
            var resource = new Dictionary<string, object?>();
            foreach (var field in Fields(resourceSpans.Bytes))
            {
                if (field.Number == 1)
                {
                    foreach (var attribute in Fields(field.Bytes))
                    {
                        if (attribute.Number == 1)
                        {
                            AddKeyValue(resource, attribute.Bytes);
                        }
                    }
                }
                else if (field.Number == 2)
                {
                    string? scope = null;
                    foreach (var scopeField in Fields(field.Bytes))
                    {
                        if (scopeField.Number == 1)
                        {
                            scope = Fields(scopeField.Bytes).Where(f => f.Number == 1).Select(f => Encoding.UTF8.GetString(f.Bytes)).FirstOrDefault();
                        }
                        else if (scopeField.Number == 2)
                        {
                            spans.Add(Span(scopeField.Bytes, resource, scope ?? ""));
                        }
                    }
                }
            }
        }
        return spans;
    }

    private static OtlpSpan Span(byte[] bytes, Dictionary<string, object?> resource, string scope)
    {
        var span = new OtlpSpan { Resource = resource, Scope = scope };
        foreach (var field in Fields(bytes))
        {
            switch (field.Number)
            {
                case 1: span.TraceId = Convert.ToHexStringLower(field.Bytes); break;
                case 2: span.SpanId = Convert.ToHexStringLower(field.Bytes); break;
                case 3: span.TraceState = Encoding.UTF8.GetString(field.Bytes); break;
                case 4: span.ParentSpanId = Convert.ToHexStringLower(field.Bytes); break;
                case 5: span.Name = Encoding.UTF8.GetString(field.Bytes); break;
                case 6: span.Kind = (OtlpSpanKind)field.Varint; break;
                case 7: span.StartUnixNano = field.Fixed64; break;
                case 8: span.EndUnixNano = field.Fixed64; break;
                case 9: AddKeyValue(span.Attributes, field.Bytes); break;
                case 11: span.Events.Add(Event(field.Bytes)); break;
                case 15:
                    foreach (var status in Fields(field.Bytes))
                    {
                        if (status.Number == 2)
                        {
                            span.StatusMessage = Encoding.UTF8.GetString(status.Bytes);
                        }
                        else if (status.Number == 3)
                        {
                            span.StatusCode = (int)status.Varint;
                        }
                    }
                    break;
                default: break;
            }
        }
        return span;
    }

    private static OtlpEvent Event(byte[] bytes)
    {
        var e = new OtlpEvent();
        foreach (var field in Fields(bytes))
        {
            switch (field.Number)
            {
                case 1: e.TimeUnixNano = field.Fixed64; break;
                case 2: e.Name = Encoding.UTF8.GetString(field.Bytes); break;
                case 3: AddKeyValue(e.Attributes, field.Bytes); break;
                default: break;
            }
        }
        return e;
    }

    private static void AddKeyValue(Dictionary<string, object?> into, byte[] keyValue)
    {
        string? key = null;
        object? value = null;
        foreach (var field in Fields(keyValue))
        {
            if (field.Number == 1)
            {
                key = Encoding.UTF8.GetString(field.Bytes);
            }
            else if (field.Number == 2)
            {
                value = AnyValue(field.Bytes);
            }
        }
        into[key ?? throw new FormatException("a KeyValue without key")] = value;
    }

    /// <summary>string → string, bool → bool, int → long, double → double, array → object?[], bytes → hex.</summary>
    private static object? AnyValue(byte[] bytes)
    {
        foreach (var field in Fields(bytes))
        {
            return field.Number switch
            {
                1 => Encoding.UTF8.GetString(field.Bytes),
                2 => field.Varint != 0,
                3 => (long)field.Varint,
                4 => BitConverter.Int64BitsToDouble((long)field.Fixed64),
                5 => Fields(field.Bytes).Where(f => f.Number == 1).Select(f => AnyValue(f.Bytes)).ToArray(),
                7 => Convert.ToHexStringLower(field.Bytes),
                _ => $"<field {field.Number}>",
            };
        }
        return null;
    }

    private static List<ProtoField> Fields(ReadOnlySpan<byte> data)
    {
        var fields = new List<ProtoField>();
        var i = 0;
        while (i < data.Length)
        {
            var key = Varint(data, ref i);
            var number = (int)(key >> 3);
            switch ((int)(key & 7))
            {
                case 0:
                    fields.Add(new ProtoField(number, Varint(data, ref i), 0, []));
                    break;
                case 1:
                    fields.Add(new ProtoField(number, 0, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]), []));
                    i += 8;
                    break;
                case 2:
                    var length = (int)Varint(data, ref i);
                    fields.Add(new ProtoField(number, 0, 0, data.Slice(i, length).ToArray()));
                    i += length;
                    break;
                case 5:
                    fields.Add(new ProtoField(number, 0, BinaryPrimitives.ReadUInt32LittleEndian(data[i..]), []));
                    i += 4;
                    break;
                default:
                    throw new FormatException($"protobuf wire type {key & 7} at byte {i}");
            }
        }
        return fields;
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[i++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }

    private readonly record struct ProtoField(int Number, ulong Varint, ulong Fixed64, byte[] Bytes);
}

/// <summary>trace.proto's Span.SpanKind.</summary>
public enum OtlpSpanKind
{
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

public sealed class OtlpSpan
{
    public string TraceId { get; set; } = "";
    public string SpanId { get; set; } = "";
    public string ParentSpanId { get; set; } = "";
    public string TraceState { get; set; } = "";
    public string Name { get; set; } = "";
    public OtlpSpanKind Kind { get; set; }
    public ulong StartUnixNano { get; set; }
    public ulong EndUnixNano { get; set; }

    /// <summary>0 unset, 1 ok, 2 error (trace.proto's Status.StatusCode).</summary>
    public int StatusCode { get; set; }

    public string StatusMessage { get; set; } = "";
    public string Scope { get; set; } = "";
    public Dictionary<string, object?> Resource { get; set; } = [];
    public Dictionary<string, object?> Attributes { get; } = [];
    public List<OtlpEvent> Events { get; } = [];

    public object? this[string attribute] => Attributes.GetValueOrDefault(attribute);

    public override string ToString() =>
        $"{Kind} '{Name}' {TraceId}/{SpanId} parent {ParentSpanId} [{string.Join(", ", Attributes.Select(a => $"{a.Key}={a.Value}"))}]";
}

public sealed class OtlpEvent
{
    public string Name { get; set; } = "";
    public ulong TimeUnixNano { get; set; }
    public Dictionary<string, object?> Attributes { get; } = [];
}
