using System.Text.Json.Serialization;

namespace LlmProxy.Upstreams;

// The OpenAI chat wire that every upstream speaks (docs/api.md, OpenAI routes): what the classic door sends upstream
// and answers with, what the stub produces, and the error envelope of OpenAI's API. Property names are snake_case
// through UpstreamJsonContext's naming policy.

internal sealed record ChatMessage(string Role, string Content);

/// <summary>
/// The body the classic routes send upstream (they have a validated model and messages, nothing else);
/// <c>stream_options</c> only when a token limit needs the stream's usage.
/// </summary>
internal sealed record UpstreamChatRequest(
    string Model,
    IReadOnlyList<ChatMessage> Messages,
    bool Stream,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] StreamOptions? StreamOptions = null);

/// <summary>OpenAI's <c>stream_options</c>: <c>include_usage</c> adds a last chunk with the stream's token usage.</summary>
internal sealed record StreamOptions(bool IncludeUsage);

internal sealed record ChatCompletion(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<ChatChoice> Choices,
    ChatUsage Usage);

internal sealed record ChatChoice(int Index, ChatMessage Message, string? FinishReason);

internal sealed record ChatUsage(int PromptTokens, int CompletionTokens, int TotalTokens);

internal sealed record ChatCompletionChunk(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<ChatChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ChatUsage? Usage = null);

internal sealed record ChatChunkChoice(int Index, ChatDelta Delta, string? FinishReason);

internal sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content = null);

/// <summary>The OpenAI error envelope: <c>param</c> and <c>code</c> are always present, null when unknown.</summary>
internal sealed record OpenAiErrorEnvelope(OpenAiError Error);

internal sealed record OpenAiError(string Message, string Type, string? Param, string? Code);

/// <summary>Source-generated JSON for the OpenAI chat wire (no reflection: Native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(UpstreamChatRequest))]
[JsonSerializable(typeof(ChatCompletion))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(OpenAiErrorEnvelope))]
internal sealed partial class UpstreamJsonContext : JsonSerializerContext;
