namespace LlmProxy.Json;

/// <summary>
/// The /proxy request body as the OpenAPI description shows it (CONTRACT §2.2). The handler itself reads the body with
/// <c>JsonDocument</c> to report every problem at once; this record only gives the document its schema.
/// </summary>
public sealed record SeedChatRequestBody(string Model, IReadOnlyList<ChatMessage> Messages);
