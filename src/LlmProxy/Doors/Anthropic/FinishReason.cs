using System.Text.Json;

namespace LlmProxy.Doors.Anthropic;

/// <summary>An OpenAI <c>finish_reason</c>, as far as the Anthropic stop reasons tell them apart.</summary>
internal enum FinishReason : byte
{
    None,
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
    Other,
}

/// <summary>
/// OpenAI <c>finish_reason</c> → Anthropic <c>stop_reason</c> (docs/anthropic.md, "Stop reasons").
/// </summary>
internal static class AnthropicStopReason
{
    public static FinishReason Classify(ref Utf8JsonReader reader) =>
        reader.TokenType != JsonTokenType.String ? FinishReason.None
        : reader.ValueTextEquals("stop"u8) ? FinishReason.Stop
        : reader.ValueTextEquals("length"u8) ? FinishReason.Length
        // "function_call" is the pre-tools spelling of the same thing.
        : reader.ValueTextEquals("tool_calls"u8) || reader.ValueTextEquals("function_call"u8) ? FinishReason.ToolCalls
        : reader.ValueTextEquals("content_filter"u8) ? FinishReason.ContentFilter
        : FinishReason.Other;

    /// <summary>
    /// The stop reason. Tool calls win over "stop": older Ollama answers a tool call with finish_reason "stop", and
    /// Anthropic clients run tools only on "tool_use". A matched stop sequence is known only where the upstream names it
    /// (vLLM's <c>stop_reason</c>); elsewhere such a stop reads as "end_turn".
    /// </summary>
    public static ReadOnlySpan<byte> For(FinishReason finish, bool sawToolUse, bool sawStopSequence) => finish switch
    {
        FinishReason.Length => "max_tokens"u8,
        FinishReason.ContentFilter => "refusal"u8,
        FinishReason.ToolCalls => "tool_use"u8,
        _ when sawToolUse => "tool_use"u8,
        _ when sawStopSequence => "stop_sequence"u8,
        _ => "end_turn"u8,
    };

    public static bool IsStopSequence(ReadOnlySpan<byte> stopReason) => stopReason.SequenceEqual("stop_sequence"u8);
}
