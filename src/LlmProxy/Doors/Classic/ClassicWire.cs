using System.Text.Json.Serialization;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.Classic;

// The classic routes' own wire (docs/api.md, Classic routes): the classic error shape and the request body as the API
// description shows it. Answers are OpenAI chat objects (UpstreamJsonContext). Names are snake_case.

/// <summary>The classic error shape: <c>{"error":title,"detail":...,"request_id":...}</c>; <c>detail</c> is omitted when there is none.</summary>
internal sealed record ClassicError(
    string Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail,
    string RequestId);

/// <summary>The classic 422 body: <c>detail</c> lists every problem found.</summary>
internal sealed record ClassicValidationError(string Error, IReadOnlyList<ValidationProblem> Detail, string RequestId);

/// <summary>One validation problem: where (<c>loc</c>, a path such as <c>messages[1].role</c>), what, and its kind.</summary>
internal sealed record ValidationProblem(string Loc, string Msg, string Type);

/// <summary>
/// The /proxy request body as the API description shows it. The handler itself reads the body with
/// <c>JsonDocument</c> to report every problem at once (<see cref="ClassicRequestParser"/>); this record only gives
/// the document its schema.
/// </summary>
internal sealed record ClassicChatRequestBody(string Model, IReadOnlyList<ChatMessage> Messages);

/// <summary>Source-generated JSON for the classic wire (no reflection: Native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ClassicError))]
[JsonSerializable(typeof(ClassicValidationError))]
[JsonSerializable(typeof(ClassicChatRequestBody))]
internal sealed partial class ClassicJsonContext : JsonSerializerContext;
