using System.Text.Json;
using LlmProxy.Json;

namespace LlmProxy.Doors.Classic;

/// <summary>
/// Parses and validates a /proxy body (docs/api.md, Classic routes) in one forward <see cref="Utf8JsonReader"/> pass,
/// collecting every problem rather than stopping at the first, the way FastAPI's 422 does. Malformed JSON (bad syntax,
/// nesting past 64, anything after the object) is a <see cref="JsonException"/> the caller answers with 400, whatever
/// problems came before it; a well-formed body with wrong shapes or values is a list of problems (422), at most
/// <see cref="MaxProblems"/> of them.
/// </summary>
/// <remarks>
/// No DOM and no strings for the message texts: each content is kept as a slice of the body (its JSON string token) and
/// copied as it is into the upstream request (<see cref="ClassicUpstreamBody"/>), so a 25 MB prompt costs its body and
/// one copy, not a parsed document, a UTF-16 string and a re-serialisation from pooled buffers. A field that appears
/// twice counts with its last value. Names are compared with <see cref="JsonText.Is"/>: a name holding a lone surrogate
/// escape is an unknown field like any other (ignored); a value holding one is a problem of its own.
/// </remarks>
internal static class ClassicRequestParser
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>
    /// At most this many problems of the messages are listed: a body of millions of wrong messages must not become
    /// millions of problem objects and an answer larger than the request.
    /// </summary>
    public const int MaxProblems = 100;

    private const string LoneSurrogate = "must be valid Unicode text (contains a lone surrogate escape)";

    /// <summary>The request, or null with <paramref name="problems"/> filled. The body's buffer must outlive the request.</summary>
    public static ChatRequest? Parse(ReadOnlyMemory<byte> body, List<ValidationProblem> problems)
    {
        var reader = new Utf8JsonReader(body.Span, Options);
        if (!reader.Read())
        {
            throw new JsonException("The input does not contain any JSON tokens.");
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var kind = Describe(reader.TokenType);
            reader.Skip();
            ReadToEnd(ref reader);
            problems.Add(new ValidationProblem("body", $"expected a JSON object, got {kind}", "type_error"));
            return null;
        }

        ValidationProblem? modelProblem = new("model", "field required", "missing");
        string? model = null;
        var messages = new MessagesField();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (JsonText.Is(ref reader, "model"u8))
            {
                reader.Read();
                model = ReadModel(ref reader, out modelProblem);
            }
            else if (JsonText.Is(ref reader, "messages"u8))
            {
                reader.Read();
                messages = ReadMessages(ref reader, body);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        ReadToEnd(ref reader);

        if (modelProblem is not null)
        {
            problems.Add(modelProblem);
        }
        problems.AddRange(messages.Problems);
        return problems.Count == 0 ? new ChatRequest(model!, messages.Messages) : null;
    }

    private static string? ReadModel(ref Utf8JsonReader reader, out ValidationProblem? problem)
    {
        problem = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            problem = new ValidationProblem("model", $"expected a string, got {Describe(reader.TokenType)}", "type_error");
            reader.Skip();
            return null;
        }
        var model = JsonText.TryGetString(ref reader);
        if (model is null)
        {
            problem = new ValidationProblem("model", LoneSurrogate, "value_error");
        }
        else if (model.Trim().Length == 0)
        {
            problem = new ValidationProblem("model", "must be a non-empty string", "value_error");
            model = null;
        }
        return model;
    }

    private static MessagesField ReadMessages(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body)
    {
        var field = new MessagesField { Problems = [] };
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            field.Problems.Add(new ValidationProblem("messages", $"expected an array, got {Describe(reader.TokenType)}", "type_error"));
            reader.Skip();
            return field;
        }
        var index = 0;
        string? lastRole = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            lastRole = ReadMessage(ref reader, body, index, field);
            index++;
        }
        if (index == 0)
        {
            field.Problems.Add(new ValidationProblem("messages", "must contain at least one message", "value_error"));
        }
        else if (lastRole == "assistant")
        {
            Add(field, new ValidationProblem($"messages[{index - 1}].role", "the last message must not be from the assistant", "value_error"));
        }
        return field;
    }

    /// <summary>One message, from its first token to its last; returns its role when the role is valid.</summary>
    private static string? ReadMessage(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, int index, MessagesField field)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Add(field, new ValidationProblem($"messages[{index}]", $"expected an object, got {Describe(reader.TokenType)}", "type_error"));
            reader.Skip();
            return null;
        }
        // Per field: its last value's verdict (null = fine) and value.
        (string Msg, string Type)? roleProblem = ("field required", "missing");
        (string Msg, string Type)? contentProblem = ("field required", "missing");
        string? role = null;
        var content = ReadOnlyMemory<byte>.Empty;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isRole = JsonText.Is(ref reader, "role"u8);
            var isContent = !isRole && JsonText.Is(ref reader, "content"u8);
            reader.Read();
            if (isRole)
            {
                role = ReadRole(ref reader, out roleProblem);
            }
            else if (isContent)
            {
                content = ReadContent(ref reader, body, out contentProblem);
            }
            else
            {
                reader.Skip();
            }
        }
        if (roleProblem is { } r)
        {
            Add(field, new ValidationProblem($"messages[{index}].role", r.Msg, r.Type));
        }
        if (contentProblem is { } c)
        {
            Add(field, new ValidationProblem($"messages[{index}].content", c.Msg, c.Type));
        }
        if (role is not null && contentProblem is null)
        {
            field.Messages.Add(new ClassicMessage(role, content));
        }
        return role;
    }

    private static string? ReadRole(ref Utf8JsonReader reader, out (string Msg, string Type)? problem)
    {
        problem = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            problem = ($"expected a string, got {Describe(reader.TokenType)}", "type_error");
            reader.Skip();
            return null;
        }
        if (reader.ValueIsEscaped && JsonText.HasLoneSurrogateEscape(reader.ValueSpan))
        {
            problem = (LoneSurrogate, "value_error");
            return null;
        }
        var role = JsonText.Is(ref reader, "system"u8) ? "system"
            : JsonText.Is(ref reader, "user"u8) ? "user"
            : JsonText.Is(ref reader, "assistant"u8) ? "assistant"
            : null;
        if (role is null)
        {
            problem = ("must be one of system, user, assistant", "value_error");
        }
        return role;
    }

    /// <summary>The content's JSON string token (quotes included), as a slice of the body.</summary>
    private static ReadOnlyMemory<byte> ReadContent(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, out (string Msg, string Type)? problem)
    {
        problem = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            problem = ($"expected a string, got {Describe(reader.TokenType)}", "type_error");
            reader.Skip();
            return default;
        }
        if (reader.ValueSpan.IsEmpty)
        {
            problem = ("must be a non-empty string", "value_error");
            return default;
        }
        if (reader.ValueIsEscaped && JsonText.HasLoneSurrogateEscape(reader.ValueSpan))
        {
            problem = (LoneSurrogate, "value_error");
            return default;
        }
        // The reader is over one contiguous span, so the token is [start, start + value + 2 quotes).
        return body.Slice(checked((int)reader.TokenStartIndex), reader.ValueSpan.Length + 2);
    }

    /// <summary>Reads what is left: anything after the top-level object is a JsonException (invalid JSON, 400).</summary>
    private static void ReadToEnd(ref Utf8JsonReader reader)
    {
        while (reader.Read())
        {
        }
    }

    private static void Add(MessagesField field, ValidationProblem problem)
    {
        if (field.Problems.Count < MaxProblems)
        {
            field.Problems.Add(problem);
        }
        else if (field.Problems.Count == MaxProblems)
        {
            field.Problems.Add(new ValidationProblem("messages", $"more than {MaxProblems} problems; the rest are not listed", "too_many_problems"));
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "nothing",
    };

    /// <summary>The <c>messages</c> field as last seen: missing until it appears.</summary>
    private sealed class MessagesField
    {
        public List<ValidationProblem> Problems { get; init; } = [new ValidationProblem("messages", "field required", "missing")];

        public List<ClassicMessage> Messages { get; } = [];
    }
}

/// <summary>A validated classic chat request. The message contents are slices of the request body.</summary>
internal sealed record ChatRequest(string Model, IReadOnlyList<ClassicMessage> Messages);

/// <summary>One validated message: its role, and its content as the JSON string token the client sent (quotes included).</summary>
internal readonly record struct ClassicMessage(string Role, ReadOnlyMemory<byte> Content);
