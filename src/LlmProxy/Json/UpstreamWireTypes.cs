namespace LlmProxy.Json;

// Wire DTOs the proxy itself writes for the OpenAI-compatible upstream and for GET /v1/models (CONTRACT §2.3, §3).

/// <summary>The body the seed routes send upstream (they have a validated model and messages, nothing else).</summary>
public sealed record UpstreamChatRequest(string Model, IReadOnlyList<ChatMessage> Messages, bool Stream);

/// <summary><c>GET /v1/models</c>: always <c>{"object":"list","data":[...]}</c>.</summary>
public sealed record ModelList(string Object, IReadOnlyList<ModelEntry> Data);

public sealed record ModelEntry(string Id, string Object, long Created, string OwnedBy);
