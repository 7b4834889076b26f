using LlmProxy.Json;

namespace LlmProxy.Api;

/// <summary>A validated seed-dialect chat request (CONTRACT §2.2).</summary>
public sealed record ChatRequest(string Model, IReadOnlyList<ChatMessage> Messages);
