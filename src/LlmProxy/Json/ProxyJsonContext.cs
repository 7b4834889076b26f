using System.Text.Json.Serialization;

namespace LlmProxy.Json;

/// <summary>Source-generated JSON for every type the proxy writes or reads (no reflection: Native AOT).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    GenerationMode = JsonSourceGenerationMode.Default)]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(SeedError))]
[JsonSerializable(typeof(SeedValidationError))]
[JsonSerializable(typeof(OpenAiErrorEnvelope))]
[JsonSerializable(typeof(ChatCompletion))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(UpstreamChatRequest))]
[JsonSerializable(typeof(ModelList))]
public sealed partial class ProxyJsonContext : JsonSerializerContext;
