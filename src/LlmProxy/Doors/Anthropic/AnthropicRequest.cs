using System.Buffers;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// A validated Anthropic Messages request (<c>POST /v1/messages</c> or <c>/v1/messages/count_tokens</c>), made by
/// <see cref="AnthropicRequestParser"/>: the facts the door routes on (<see cref="Model"/>, <see cref="Stream"/>) and
/// slices of the body for everything the OpenAI translation carries. It reads <see cref="Body"/> when written, so the
/// body's buffer must live until the last <see cref="WriteOpenAiBody"/> call. docs/anthropic.md lists what is carried.
/// </summary>
internal sealed class AnthropicRequest
{
    internal AnthropicRequest(ReadOnlyMemory<byte> body) => Body = body;

    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The model the client asked for (what routing resolves; echoed in the answer).</summary>
    public string Model { get; internal set; } = "";

    public bool Stream { get; internal set; }

    /// <summary>The client enabled extended thinking: the upstream's reasoning text is answered as thinking blocks.</summary>
    public bool ThinkingRequested { get; internal set; }

    internal JsonSlice ModelToken { get; set; }
    internal JsonSlice MaxTokens { get; set; }
    internal JsonSlice Temperature { get; set; }
    internal JsonSlice TopP { get; set; }
    internal JsonSlice TopK { get; set; }
    internal JsonSlice UserId { get; set; }
    internal ToolChoiceKind ToolChoice { get; set; }
    internal JsonSlice ToolChoiceName { get; set; }
    internal bool DisableParallelToolUse { get; set; }

    /// <summary>The system prompt: one string token or the texts of its text blocks.</summary>
    internal List<JsonSlice> System { get; } = [];
    internal List<JsonSlice> StopSequences { get; } = [];
    internal List<MessageEntry> Messages { get; } = [];
    internal List<ContentPart> Parts { get; } = [];

    /// <summary>The text and image blocks inside tool_result blocks.</summary>
    internal List<ContentPart> ResultParts { get; } = [];
    internal List<ToolEntry> Tools { get; } = [];

    /// <summary>
    /// Writes the OpenAI <c>chat/completions</c> body. <paramref name="upstreamModel"/> replaces the model name when the
    /// route maps it to another one (an alias, or an upstream's own name); null keeps the client's.
    /// </summary>
    public void WriteOpenAiBody(IBufferWriter<byte> output, string? upstreamModel = null) =>
        OpenAiChatBodyWriter.Write(this, output, upstreamModel);

    /// <summary>The <c>count_tokens</c> estimate of this request (docs/anthropic.md, "count_tokens").</summary>
    public int EstimateInputTokens() => AnthropicTokenEstimator.Estimate(this);
}
