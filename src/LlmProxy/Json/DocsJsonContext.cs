using System.Text.Json.Serialization;

namespace LlmProxy.Json;

/// <summary>
/// Types that appear only in the OpenAPI description (request bodies the handlers parse by hand). Kept apart from
/// <see cref="ProxyJsonContext"/> so the hot path's context stays what the proxy really serialises.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SeedChatRequestBody))]
public sealed partial class DocsJsonContext : JsonSerializerContext;
