namespace LlmProxy.Doors.OpenAi;

/// <summary>What the proxy reads from a /v1 body: the model (routing), stream (SSE or not), include_usage (the stub).</summary>
public sealed record OpenAiBodyFacts(string Model, bool Stream, bool IncludeUsage);
