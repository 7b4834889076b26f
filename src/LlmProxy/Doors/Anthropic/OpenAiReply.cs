using System.Text.Json;

namespace LlmProxy.Doors.Anthropic;

/// <summary>One tool call, or one piece of it in a stream, as slices of the upstream JSON.</summary>
internal record struct ToolCallPiece(int Index, JsonSlice Id, JsonSlice Name, JsonSlice Arguments, JsonTokenType ArgumentsKind);

/// <summary>
/// What one OpenAI answer (<c>chat.completion</c>) or one stream chunk (<c>chat.completion.chunk</c>) says, as slices of
/// its bytes: the first choice's text, reasoning and tool calls, its finish reason, and the usage. One instance is
/// reused for every chunk of a stream (<see cref="Reset"/>), so reading a chunk allocates nothing.
/// </summary>
internal sealed class OpenAiReply
{
    private ToolCallPiece[] _toolCalls = new ToolCallPiece[4];

    public bool HasChoice { get; set; }
    public JsonSlice Content { get; set; }
    public JsonSlice Reasoning { get; set; }
    public FinishReason Finish { get; set; }

    /// <summary>vLLM's <c>stop_reason</c> when it is a string: the stop sequence that ended the text.</summary>
    public JsonSlice StopSequence { get; set; }
    public int PromptTokens { get; set; } = -1;
    public int CompletionTokens { get; set; } = -1;

    /// <summary>The answer is an error object (in a 200 body or a stream event); <see cref="ErrorMessage"/> is its message.</summary>
    public bool IsError { get; set; }
    public JsonSlice ErrorMessage { get; set; }
    public int ToolCallCount { get; private set; }

    public ReadOnlySpan<ToolCallPiece> ToolCalls => _toolCalls.AsSpan(0, ToolCallCount);

    public void AddToolCall(ToolCallPiece piece)
    {
        if (ToolCallCount == _toolCalls.Length)
        {
            Array.Resize(ref _toolCalls, _toolCalls.Length * 2);
        }
        _toolCalls[ToolCallCount++] = piece;
    }

    public void Reset()
    {
        HasChoice = false;
        Content = Reasoning = StopSequence = ErrorMessage = default;
        Finish = FinishReason.None;
        PromptTokens = CompletionTokens = -1;
        IsError = false;
        ToolCallCount = 0;
    }
}
