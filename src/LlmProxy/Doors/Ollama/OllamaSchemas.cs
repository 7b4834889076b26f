using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmProxy.Doors.Ollama;

// The request and answer shapes of Ollama's routes as the API description (/openapi.json) shows them. The door never
// (de)serialises these types — its translators read and write the bytes in one pass — they exist so the document
// has a schema for every body (docs/ollama.md lists what is carried and what is dropped).

/// <summary>POST /api/chat.</summary>
internal sealed record OllamaChatRequestBody(
    string Model,
    [property: Description("None: the load call (or, with keep_alive 0, the unload call).")] IReadOnlyList<OllamaChatMessageBody>? Messages = null,
    [property: Description("Tool definitions, as OpenAI's.")] IReadOnlyList<JsonElement>? Tools = null,
    [property: Description("\"json\", or a JSON schema the answer must follow.")] JsonElement? Format = null,
    OllamaOptionsBody? Options = null,
    [property: Description("Default true: the answer is NDJSON, one object a line.")] bool? Stream = null,
    [property: Description("Accepted and dropped; 0 with no messages is the unload call.")] JsonElement? KeepAlive = null);

/// <summary>A chat message, in a request or an answer.</summary>
internal sealed record OllamaChatMessageBody(
    [property: Description("system, user, assistant or tool.")] string Role,
    string? Content = null,
    [property: Description("Base64 images (PNG, JPEG, GIF, WebP).")] IReadOnlyList<string>? Images = null,
    IReadOnlyList<OllamaToolCallBody>? ToolCalls = null,
    [property: Description("On a tool message: the tool whose call it answers.")] string? ToolName = null,
    [property: Description("The model's reasoning, in answers.")] string? Thinking = null);

internal sealed record OllamaToolCallBody(OllamaToolCallFunctionBody Function, string? Id = null);

internal sealed record OllamaToolCallFunctionBody(
    string Name,
    [property: Description("The arguments as a JSON object.")] JsonElement Arguments,
    int? Index = null);

/// <summary>The sampling options the proxy carries over; Ollama's runner settings are dropped.</summary>
internal sealed record OllamaOptionsBody(
    double? Temperature = null,
    double? TopP = null,
    int? TopK = null,
    int? Seed = null,
    IReadOnlyList<string>? Stop = null,
    [property: Description("max_tokens when above 0; -1, -2 and 0 set no limit.")] int? NumPredict = null,
    double? FrequencyPenalty = null,
    double? PresencePenalty = null);

/// <summary>POST /api/generate.</summary>
internal sealed record OllamaGenerateRequestBody(
    string Model,
    [property: Description("None (and no images): the load call.")] string? Prompt = null,
    string? System = null,
    IReadOnlyList<string>? Images = null,
    JsonElement? Format = null,
    OllamaOptionsBody? Options = null,
    [property: Description("Default true: the answer is NDJSON, one object a line.")] bool? Stream = null,
    JsonElement? KeepAlive = null);

/// <summary>POST /api/embed.</summary>
internal sealed record OllamaEmbedRequestBody(
    string Model,
    [property: Description("A string or a list of strings; none: the load call.")] JsonElement? Input = null,
    int? Dimensions = null);

/// <summary>POST /api/embeddings (the older route).</summary>
internal sealed record OllamaEmbeddingsRequestBody(string Model, string? Prompt = null);

/// <summary>POST /api/show (<c>name</c> is the older spelling of <c>model</c>).</summary>
internal sealed record OllamaShowRequestBody(string? Model = null, string? Name = null);

/// <summary>An /api/chat answer, or one line of its stream.</summary>
internal sealed record OllamaChatResponseBody(
    string Model,
    string CreatedAt,
    OllamaChatMessageBody Message,
    bool Done,
    [property: Description("stop, length, load or unload; on the last line only.")] string? DoneReason = null,
    [property: Description("Nanoseconds, measured by the proxy.")] long? TotalDuration = null,
    long? LoadDuration = null,
    int? PromptEvalCount = null,
    long? PromptEvalDuration = null,
    int? EvalCount = null,
    long? EvalDuration = null);

/// <summary>An /api/generate answer, or one line of its stream.</summary>
internal sealed record OllamaGenerateResponseBody(
    string Model,
    string CreatedAt,
    string Response,
    bool Done,
    string? Thinking = null,
    string? DoneReason = null,
    long? TotalDuration = null,
    long? LoadDuration = null,
    int? PromptEvalCount = null,
    long? PromptEvalDuration = null,
    int? EvalCount = null,
    long? EvalDuration = null);

internal sealed record OllamaEmbedResponseBody(string Model, IReadOnlyList<IReadOnlyList<double>> Embeddings, long TotalDuration, long LoadDuration, int? PromptEvalCount = null);

internal sealed record OllamaEmbeddingsResponseBody(IReadOnlyList<double> Embedding);

/// <summary>What an OpenAI model list does not say is blank: size 0, empty strings, null families.</summary>
internal sealed record OllamaModelDetailsBody(string ParentModel, string Format, string Family, IReadOnlyList<string>? Families, string ParameterSize, string QuantizationLevel);

internal sealed record OllamaTagBody(string Name, string Model, string ModifiedAt, long Size, string Digest, OllamaModelDetailsBody Details);

internal sealed record OllamaTagsResponseBody(IReadOnlyList<OllamaTagBody> Models);

internal sealed record OllamaShowResponseBody(
    string Modelfile,
    string Parameters,
    string Template,
    OllamaModelDetailsBody Details,
    IReadOnlyDictionary<string, JsonElement> ModelInfo,
    IReadOnlyList<string> Capabilities,
    string ModifiedAt);

internal sealed record OllamaRunningModelBody(string Name, string Model, long Size, string Digest, OllamaModelDetailsBody Details, string ExpiresAt, long SizeVram);

internal sealed record OllamaPsResponseBody(IReadOnlyList<OllamaRunningModelBody> Models);

internal sealed record OllamaVersionResponseBody(string Version);

/// <summary>Ollama's error: <c>{"error":"&lt;message&gt;"}</c>.</summary>
internal sealed record OllamaErrorBody(string Error);

/// <summary>Source-generated JSON for the schemas above (no reflection: Native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(OllamaChatRequestBody))]
[JsonSerializable(typeof(OllamaGenerateRequestBody))]
[JsonSerializable(typeof(OllamaEmbedRequestBody))]
[JsonSerializable(typeof(OllamaEmbeddingsRequestBody))]
[JsonSerializable(typeof(OllamaShowRequestBody))]
[JsonSerializable(typeof(OllamaChatResponseBody))]
[JsonSerializable(typeof(OllamaGenerateResponseBody))]
[JsonSerializable(typeof(OllamaEmbedResponseBody))]
[JsonSerializable(typeof(OllamaEmbeddingsResponseBody))]
[JsonSerializable(typeof(OllamaTagsResponseBody))]
[JsonSerializable(typeof(OllamaShowResponseBody))]
[JsonSerializable(typeof(OllamaPsResponseBody))]
[JsonSerializable(typeof(OllamaVersionResponseBody))]
[JsonSerializable(typeof(OllamaErrorBody))]
internal sealed partial class OllamaSchemaJsonContext : JsonSerializerContext;
