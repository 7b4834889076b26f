namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// The <c>/v1/messages/count_tokens</c> estimate (docs/anthropic.md, "count_tokens"): the model servers behind the proxy
/// have no common tokenizer endpoint, so N is estimated from what the translation would send: one token per 4 bytes of
/// text (prompt, messages, tool results, tool calls and tool definitions, as sent), plus a fixed cost per message and
/// per tool for the chat template's markers, plus a fixed cost per image.
/// </summary>
internal static class AnthropicTokenEstimator
{
    /// <summary>Average UTF-8 bytes per token of the BPE tokenizers of common open models on English text and code.</summary>
    public const int BytesPerToken = 4;

    /// <summary>Role markers and separators a chat template adds around one message.</summary>
    public const int PerMessage = 4;

    /// <summary>The template's wrapping of one tool definition.</summary>
    public const int PerTool = 8;

    /// <summary>One image: the most Anthropic charges for one (about 1.15 megapixels); open vision models use fewer.</summary>
    public const int PerImage = 1600;

    public static int Estimate(AnthropicRequest request)
    {
        long bytes = 0;
        long fixedCost = 0;
        foreach (var text in request.System)
        {
            bytes += text.Length;
        }
        if (request.System.Count > 0)
        {
            fixedCost += PerMessage;
        }
        foreach (var message in request.Messages)
        {
            fixedCost += PerMessage;
            bytes += message.StringContent.Length;
        }
        foreach (var part in request.Parts)
        {
            (bytes, fixedCost) = Add(part, bytes, fixedCost);
        }
        foreach (var part in request.ResultParts)
        {
            (bytes, fixedCost) = Add(part, bytes, fixedCost);
        }
        foreach (var tool in request.Tools)
        {
            fixedCost += PerTool;
            bytes += tool.Name.Length + tool.Description.Length + tool.InputSchema.Length;
        }
        var total = fixedCost + ((bytes + BytesPerToken - 1) / BytesPerToken);
        return (int)Math.Min(total, int.MaxValue);
    }

    private static (long Bytes, long Fixed) Add(ContentPart part, long bytes, long fixedCost) => part.Kind switch
    {
        ContentPartKind.Text => (bytes + part.Text.Length, fixedCost),
        ContentPartKind.ImageBase64 or ContentPartKind.ImageUrl => (bytes, fixedCost + PerImage),
        ContentPartKind.ToolUse => (bytes + part.Id.Length + part.Name.Length + part.Input.Length, fixedCost + PerMessage),
        // A tool result is one more message on the OpenAI side.
        ContentPartKind.ToolResult => (bytes + part.Id.Length + part.Text.Length, fixedCost + PerMessage),
        _ => (bytes, fixedCost),
    };
}
