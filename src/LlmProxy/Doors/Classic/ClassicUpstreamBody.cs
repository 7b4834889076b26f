using System.Buffers;
using System.Text.Json;

namespace LlmProxy.Doors.Classic;

/// <summary>
/// The OpenAI chat request a classic route sends upstream (docs/api.md, What the upstream receives): exactly
/// <c>{"model","messages":[{"role","content"}],"stream"}</c>, plus <c>stream_options.include_usage</c> when a
/// token limit needs the usage of a stream. Each content is the client's JSON string token copied as
/// it is (validated by <see cref="ClassicRequestParser"/>), so a large prompt is copied once, never decoded and
/// re-encoded. The buffer is a plain array sized up front (never from the shared pool, which would keep it).
/// </summary>
internal static class ClassicUpstreamBody
{
    /// <summary>Room for everything but the contents: <c>{"role":"assistant","content":},</c> per message, the rest once.</summary>
    private const int PerMessage = 40;

    private const int Fixed = 112;

    /// <summary>An upper bound of the body's size: its buffer is allocated once.</summary>
    public static long SizeBound(ChatRequest request)
    {
        long size = Fixed + (request.Model.Length * 6L);
        foreach (var message in request.Messages)
        {
            size += PerMessage + message.Content.Length;
        }
        return size;
    }

    public static ReadOnlyMemory<byte> Write(ChatRequest request, bool stream, bool includeUsage = false)
    {
        var output = new ArrayBufferWriter<byte>((int)Math.Min(SizeBound(request), int.MaxValue));
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, request.Model);
            writer.WriteStartArray("messages"u8);
            foreach (var message in request.Messages)
            {
                writer.WriteStartObject();
                writer.WriteString("role"u8, message.Role);
                writer.WritePropertyName("content"u8);
                writer.WriteRawValue(message.Content.Span, skipInputValidation: true);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteBoolean("stream"u8, stream);
            if (includeUsage)
            {
                writer.WriteStartObject("stream_options"u8);
                writer.WriteBoolean("include_usage"u8, true);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        return output.WrittenMemory;
    }
}
