using System.Text.Json.Serialization;

namespace LlmProxy.Json;

// Wire DTOs of CONTRACT §2 and §5. Property names are snake_case through ProxyJsonContext's naming policy.

public sealed record HealthResponse(
    string Status,
    double UptimeSeconds,
    string Version,
    HealthRateLimit RateLimit,
    HealthLogging Logging,
    HealthCors Cors);

public sealed record HealthRateLimit(bool Enabled, int WindowSeconds, int MaxRequests);

public sealed record HealthLogging(bool Enabled, string Level);

public sealed record HealthCors(IReadOnlyList<string> AllowOrigins);

/// <summary>The seed dialect's error body (CONTRACT §5); <c>detail</c> is omitted when there is none.</summary>
public sealed record SeedError(
    string Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail,
    string RequestId);

/// <summary>The seed dialect's 422 body: <c>detail</c> lists every problem found.</summary>
public sealed record SeedValidationError(string Error, IReadOnlyList<ValidationProblem> Detail, string RequestId);

/// <summary>One validation problem: where (<c>loc</c>, a path such as <c>messages[1].role</c>), what, and its kind.</summary>
public sealed record ValidationProblem(string Loc, string Msg, string Type);

/// <summary>The OpenAI error envelope (CONTRACT §5): <c>param</c> and <c>code</c> are always present, null when unknown.</summary>
public sealed record OpenAiErrorEnvelope(OpenAiError Error);

public sealed record OpenAiError(string Message, string Type, string? Param, string? Code);

public sealed record ChatMessage(string Role, string Content);

public sealed record ChatCompletion(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<ChatChoice> Choices,
    ChatUsage Usage);

public sealed record ChatChoice(int Index, ChatMessage Message, string? FinishReason);

public sealed record ChatUsage(int PromptTokens, int CompletionTokens, int TotalTokens);

public sealed record ChatCompletionChunk(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<ChatChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ChatUsage? Usage = null);

public sealed record ChatChunkChoice(int Index, ChatDelta Delta, string? FinishReason);

public sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content = null);
