using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmProxy.Doors.Anthropic;

// The Anthropic door's wire as the API description shows it (docs/anthropic.md). The door itself reads requests with
// AnthropicRequestParser and writes answers with Utf8JsonWriter passes; these records give /openapi.json its schemas,
// and serialise the two small answers written whole (the token count; errors have their own writer). Names are snake_case.

/// <summary><c>POST /v1/messages</c>: the Messages API request (the fields the door carries; others are dropped).</summary>
internal sealed record AnthropicMessagesRequestBody(
    string Model,
    IReadOnlyList<AnthropicInputMessage> Messages,
    int MaxTokens,
    JsonElement? System = null,
    double? Temperature = null,
    double? TopP = null,
    int? TopK = null,
    IReadOnlyList<string>? StopSequences = null,
    bool? Stream = null,
    IReadOnlyList<AnthropicToolDefinition>? Tools = null,
    AnthropicToolChoice? ToolChoice = null,
    AnthropicMetadata? Metadata = null,
    AnthropicThinking? Thinking = null);

/// <summary><c>POST /v1/messages/count_tokens</c>: the same request without <c>max_tokens</c> and <c>stream</c>.</summary>
internal sealed record AnthropicCountTokensRequestBody(
    string Model,
    IReadOnlyList<AnthropicInputMessage> Messages,
    JsonElement? System = null,
    IReadOnlyList<AnthropicToolDefinition>? Tools = null,
    AnthropicToolChoice? ToolChoice = null,
    AnthropicThinking? Thinking = null);

/// <summary>
/// One turn: <c>role</c> <c>user</c> or <c>assistant</c>; <c>content</c> a string or a list of blocks (<c>text</c>,
/// <c>image</c>, <c>tool_use</c>, <c>tool_result</c>, <c>thinking</c>).
/// </summary>
internal sealed record AnthropicInputMessage(string Role, JsonElement Content);

/// <summary>A client tool: its name, what it does, and the JSON schema of its input.</summary>
internal sealed record AnthropicToolDefinition(string Name, string? Description, JsonElement InputSchema);

/// <summary><c>auto</c>, <c>any</c>, <c>tool</c> (with <c>name</c>) or <c>none</c>.</summary>
internal sealed record AnthropicToolChoice(string Type, string? Name = null, bool? DisableParallelToolUse = null);

internal sealed record AnthropicMetadata(string? UserId);

/// <summary><c>enabled</c> (or <c>adaptive</c>): the upstream's reasoning text is answered as thinking blocks.</summary>
internal sealed record AnthropicThinking(string Type, int? BudgetTokens = null);

/// <summary>The answer of <c>POST /v1/messages</c> (not streamed).</summary>
internal sealed record AnthropicMessage(
    string Id,
    string Type,
    string Role,
    string Model,
    IReadOnlyList<AnthropicContentBlock> Content,
    string? StopReason,
    string? StopSequence,
    AnthropicUsage Usage);

/// <summary>A content block of an answer: <c>text</c> (text), <c>tool_use</c> (id, name, input) or <c>thinking</c>.</summary>
internal sealed record AnthropicContentBlock(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Text = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Input = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Thinking = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Signature = null);

internal sealed record AnthropicUsage(int InputTokens, int OutputTokens, int CacheCreationInputTokens, int CacheReadInputTokens);

/// <summary>
/// One event of a streamed answer (<c>stream: true</c>, <c>text/event-stream</c>): <c>event: &lt;type&gt;</c> and
/// <c>data: &lt;this object&gt;</c>. Types in order: <c>message_start</c> (message), then per content block
/// <c>content_block_start</c> (index, content_block), <c>content_block_delta</c> (index, delta: <c>text_delta</c>,
/// <c>input_json_delta</c> or <c>thinking_delta</c>), <c>content_block_stop</c> (index); then <c>message_delta</c>
/// (delta: stop_reason, stop_sequence; usage) and <c>message_stop</c>. A failure after the start is one <c>error</c>.
/// </summary>
internal sealed record AnthropicStreamEvent(
    string Type,
    AnthropicMessage? Message = null,
    int? Index = null,
    AnthropicContentBlock? ContentBlock = null,
    AnthropicStreamDelta? Delta = null,
    AnthropicStreamUsage? Usage = null,
    AnthropicErrorDetail? Error = null);

/// <summary>The <c>delta</c> of a stream event: a piece of a block, or the stop reason (message_delta).</summary>
internal sealed record AnthropicStreamDelta(
    string? Type = null,
    string? Text = null,
    string? PartialJson = null,
    string? Thinking = null,
    string? StopReason = null,
    string? StopSequence = null);

/// <summary>The usage of <c>message_delta</c>: output tokens, and the input tokens when the upstream reported them.</summary>
internal sealed record AnthropicStreamUsage(int OutputTokens, int? InputTokens = null);

/// <summary>The answer of <c>POST /v1/messages/count_tokens</c>.</summary>
internal sealed record AnthropicTokenCount(int InputTokens);

/// <summary>Anthropic's error body: <c>{"type":"error","error":{"type","message"},"request_id"}</c>.</summary>
internal sealed record AnthropicErrorBody(string Type, AnthropicErrorDetail Error, string RequestId);

/// <summary>The error's type (<c>invalid_request_error</c>, <c>authentication_error</c>, ...) and message.</summary>
internal sealed record AnthropicErrorDetail(string Type, string Message);

/// <summary>Source-generated JSON for the Anthropic door's documented wire (no reflection: Native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AnthropicMessagesRequestBody))]
[JsonSerializable(typeof(AnthropicCountTokensRequestBody))]
[JsonSerializable(typeof(AnthropicMessage))]
[JsonSerializable(typeof(AnthropicStreamEvent))]
[JsonSerializable(typeof(AnthropicTokenCount))]
[JsonSerializable(typeof(AnthropicErrorBody))]
internal sealed partial class AnthropicJsonContext : JsonSerializerContext;
