using LlmProxy.Json;

namespace LlmProxy.Doors.Classic;

/// <summary>A validated seed-dialect chat request (CONTRACT §2.2).</summary>
public sealed record ChatRequest(string Model, IReadOnlyList<ChatMessage> Messages);
