using System.Buffers;
using System.Buffers.Text;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// The server-sent events of Anthropic's streaming Messages API, written as bytes: <c>event: &lt;type&gt;</c>, one
/// <c>data: &lt;json&gt;</c> line, a blank line. The JSON is laid out by hand around pieces that are already escaped
/// JSON string content (copied from the upstream chunk), so writing an event is a few copies and no encoder.
/// </summary>
internal static class AnthropicEvents
{
    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;

    public static void MessageStart(IBufferWriter<byte> output, ReadOnlySpan<byte> escapedId, ReadOnlySpan<byte> escapedModel, int inputTokens)
    {
        output.Write("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\""u8);
        output.Write(escapedId);
        output.Write("\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\""u8);
        output.Write(escapedModel);
        output.Write("\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":"u8);
        WriteInt(output, inputTokens);
        // The cache counts are always 0 here (no prompt caching upstream); Anthropic's answers carry them, so clients
        // that add them up find numbers, not nulls.
        output.Write(",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":0}}}\n\n"u8);
    }

    public static void TextBlockStart(IBufferWriter<byte> output, int index)
    {
        output.Write("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":"u8);
        WriteInt(output, index);
        output.Write(",\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"u8);
    }

    /// <summary>A thinking block; the upstream has no signature to give, so it stays empty.</summary>
    public static void ThinkingBlockStart(IBufferWriter<byte> output, int index)
    {
        output.Write("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":"u8);
        WriteInt(output, index);
        output.Write(",\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n"u8);
    }

    public static void ToolUseBlockStart(IBufferWriter<byte> output, int index, ReadOnlySpan<byte> escapedId, ReadOnlySpan<byte> escapedName)
    {
        output.Write("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":"u8);
        WriteInt(output, index);
        output.Write(",\"content_block\":{\"type\":\"tool_use\",\"id\":\""u8);
        output.Write(escapedId);
        output.Write("\",\"name\":\""u8);
        output.Write(escapedName);
        output.Write("\",\"input\":{}}}\n\n"u8);
    }

    public static void TextDelta(IBufferWriter<byte> output, int index, ReadOnlySpan<byte> escapedText)
    {
        output.Write("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":"u8);
        WriteInt(output, index);
        output.Write(",\"delta\":{\"type\":\"text_delta\",\"text\":\""u8);
        output.Write(escapedText);
        output.Write("\"}}\n\n"u8);
    }

    public static void ThinkingDelta(IBufferWriter<byte> output, int index, ReadOnlySpan<byte> escapedThinking)
    {
        output.Write("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":"u8);
        WriteInt(output, index);
        output.Write(",\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\""u8);
        output.Write(escapedThinking);
        output.Write("\"}}\n\n"u8);
    }

    /// <summary>A piece of a tool call's input as JSON text, exactly as the upstream's arguments piece spelled it.</summary>
    public static void InputJsonDelta(IBufferWriter<byte> output, int index, ReadOnlySpan<byte> escapedJson)
    {
        output.Write("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":"u8);
        WriteInt(output, index);
        output.Write(",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\""u8);
        output.Write(escapedJson);
        output.Write("\"}}\n\n"u8);
    }

    public static void BlockStop(IBufferWriter<byte> output, int index)
    {
        output.Write("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":"u8);
        WriteInt(output, index);
        output.Write("}\n\n"u8);
    }

    /// <summary>
    /// The final stop reason and usage. <paramref name="escapedStopSequence"/> is written only when
    /// <paramref name="hasStopSequence"/>; <paramref name="inputTokens"/> below 0 is left out (the client keeps the
    /// message_start value; Anthropic's SDKs take input_tokens from message_delta when present).
    /// </summary>
    public static void MessageDelta(IBufferWriter<byte> output, ReadOnlySpan<byte> stopReason, bool hasStopSequence, ReadOnlySpan<byte> escapedStopSequence, int inputTokens, int outputTokens)
    {
        output.Write("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\""u8);
        output.Write(stopReason);
        if (hasStopSequence)
        {
            output.Write("\",\"stop_sequence\":\""u8);
            output.Write(escapedStopSequence);
            output.Write("\"},\"usage\":{"u8);
        }
        else
        {
            output.Write("\",\"stop_sequence\":null},\"usage\":{"u8);
        }
        if (inputTokens >= 0)
        {
            output.Write("\"input_tokens\":"u8);
            WriteInt(output, inputTokens);
            output.Write(","u8);
        }
        output.Write("\"output_tokens\":"u8);
        WriteInt(output, outputTokens);
        output.Write("}}\n\n"u8);
    }

    public static void MessageStop(IBufferWriter<byte> output) =>
        output.Write("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"u8);

    /// <summary>The error event (Anthropic's SDKs throw it as an APIError); nothing may follow it.</summary>
    public static void Error(IBufferWriter<byte> output, string type, string message)
    {
        output.Write("event: error\ndata: "u8);
        AnthropicErrors.Write(output, type, message);
        output.Write(EventEnd);
    }

    /// <summary>The error event with a message that is already escaped JSON string content (an upstream's).</summary>
    public static void Error(IBufferWriter<byte> output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> escapedMessage)
    {
        output.Write("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\""u8);
        output.Write(type);
        output.Write("\",\"message\":\""u8);
        output.Write(escapedMessage);
        output.Write("\"}}\n\n"u8);
    }

    private static void WriteInt(IBufferWriter<byte> output, int value)
    {
        var span = output.GetSpan(11);
        Utf8Formatter.TryFormat(value, span, out var written);
        output.Advance(written);
    }
}
