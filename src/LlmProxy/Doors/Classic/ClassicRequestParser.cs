using System.Text.Json;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.Classic;

/// <summary>
/// Parses and validates a /proxy body (docs/api.md, Classic routes), collecting every problem rather than stopping at the first,
/// the way FastAPI's 422 does. Malformed JSON (bad syntax, invalid UTF-8, nesting past 64) is a <see cref="JsonException"/>
/// the caller answers with 400; a well-formed body with wrong shapes or values is a list of problems (422).
/// </summary>
internal static class ClassicRequestParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static ChatRequest? Parse(ReadOnlyMemory<byte> body, List<ValidationProblem> problems)
    {
        using var document = JsonDocument.Parse(body, DocumentOptions);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new ValidationProblem("body", $"expected a JSON object, got {Describe(root.ValueKind)}", "type_error"));
            return null;
        }

        string? model = null;
        if (!root.TryGetProperty("model", out var modelElement))
        {
            problems.Add(new ValidationProblem("model", "field required", "missing"));
        }
        else if (modelElement.ValueKind != JsonValueKind.String)
        {
            problems.Add(new ValidationProblem("model", $"expected a string, got {Describe(modelElement.ValueKind)}", "type_error"));
        }
        else if ((model = ReadString(modelElement, "model", problems)) is null)
        {
        }
        else if (model.Trim().Length == 0)
        {
            problems.Add(new ValidationProblem("model", "must be a non-empty string", "value_error"));
        }

        var messages = new List<ChatMessage>();
        if (!root.TryGetProperty("messages", out var messagesElement))
        {
            problems.Add(new ValidationProblem("messages", "field required", "missing"));
        }
        else if (messagesElement.ValueKind != JsonValueKind.Array)
        {
            problems.Add(new ValidationProblem("messages", $"expected an array, got {Describe(messagesElement.ValueKind)}", "type_error"));
        }
        else if (messagesElement.GetArrayLength() == 0)
        {
            problems.Add(new ValidationProblem("messages", "must contain at least one message", "value_error"));
        }
        else
        {
            var index = 0;
            string? lastRole = null;
            foreach (var message in messagesElement.EnumerateArray())
            {
                lastRole = ParseMessage(message, index, messages, problems);
                index++;
            }
            if (lastRole == "assistant")
            {
                problems.Add(new ValidationProblem($"messages[{index - 1}].role", "the last message must not be from the assistant", "value_error"));
            }
        }

        return problems.Count == 0 ? new ChatRequest(model!, messages) : null;
    }

    private static string? ParseMessage(JsonElement message, int index, List<ChatMessage> messages, List<ValidationProblem> problems)
    {
        var at = $"messages[{index}]";
        if (message.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new ValidationProblem(at, $"expected an object, got {Describe(message.ValueKind)}", "type_error"));
            return null;
        }
        string? role = null;
        if (!message.TryGetProperty("role", out var roleElement))
        {
            problems.Add(new ValidationProblem($"{at}.role", "field required", "missing"));
        }
        else if (roleElement.ValueKind != JsonValueKind.String)
        {
            problems.Add(new ValidationProblem($"{at}.role", $"expected a string, got {Describe(roleElement.ValueKind)}", "type_error"));
        }
        else if ((role = ReadString(roleElement, $"{at}.role", problems)) is null)
        {
        }
        else if (role is not ("system" or "user" or "assistant"))
        {
            problems.Add(new ValidationProblem($"{at}.role", "must be one of system, user, assistant", "value_error"));
            role = null;
        }

        // The same checks as the role's above (present, a string, valid text, allowed value): each field reports its own.
        string? content = null;
        if (!message.TryGetProperty("content", out var contentElement))
        {
            problems.Add(new ValidationProblem($"{at}.content", "field required", "missing"));
        }
        else if (contentElement.ValueKind != JsonValueKind.String)
        {
            problems.Add(new ValidationProblem($"{at}.content", $"expected a string, got {Describe(contentElement.ValueKind)}", "type_error"));
        }
        else if ((content = ReadString(contentElement, $"{at}.content", problems)) is null)
        {
        }
        else if (content.Length == 0)
        {
            problems.Add(new ValidationProblem($"{at}.content", "must be a non-empty string", "value_error"));
        }

        if (role is not null && content is { Length: > 0 })
        {
            messages.Add(new ChatMessage(role, content));
        }
        return role;
    }

    /// <summary>
    /// The string's value, or null with a problem recorded when it holds a lone surrogate escape such as
    /// <c>"\ud800"</c>: valid JSON grammar (RFC 8259 §8.2 calls its behaviour unpredictable) but no valid text.
    /// </summary>
    private static string? ReadString(JsonElement element, string loc, List<ValidationProblem> problems)
    {
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            problems.Add(new ValidationProblem(loc, "must be valid Unicode text (contains a lone surrogate escape)", "value_error"));
            return null;
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}

/// <summary>A validated classic chat request.</summary>
internal sealed record ChatRequest(string Model, IReadOnlyList<ChatMessage> Messages);
