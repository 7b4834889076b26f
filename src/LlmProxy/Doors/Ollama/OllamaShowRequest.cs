using System.Text.Json;
using System.Text.Unicode;

namespace LlmProxy.Doors.Ollama;

/// <summary>The model an <c>/api/show</c> body asks about: <c>model</c>, or the older <c>name</c>.</summary>
internal static class OllamaShowRequest
{
    /// <summary>The model name, or null with <paramref name="problem"/> set (a 400).</summary>
    public static string? Read(ReadOnlySpan<byte> body, out string? problem)
    {
        problem = null;
        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            problem = "missing request body";
            return null;
        }
        if (!Utf8.IsValid(body))
        {
            problem = "request body is not valid UTF-8";
            return null;
        }
        string? model = null, name = null;
        try
        {
            var reader = new Utf8JsonReader(body, OllamaJson.ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                problem = "request body must be a JSON object";
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isModel = OllamaJson.TextEquals(ref reader, "model"u8);
                var isName = !isModel && OllamaJson.TextEquals(ref reader, "name"u8);
                reader.Read();
                if ((isModel || isName) && reader.TokenType == JsonTokenType.String)
                {
                    var value = OllamaJson.GetString(ref reader, body);
                    if (isModel)
                    {
                        model = value;
                    }
                    else
                    {
                        name = value;
                    }
                }
                else if ((isModel || isName) && reader.TokenType != JsonTokenType.Null)
                {
                    problem = isModel ? "model must be a string" : "name must be a string";
                    return null;
                }
                reader.Skip();
            }
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            problem = $"invalid JSON body: {e.Message}";
            return null;
        }
        var chosen = string.IsNullOrWhiteSpace(model) ? name : model;
        if (string.IsNullOrWhiteSpace(chosen))
        {
            problem = "model is required";
            return null;
        }
        return chosen;
    }
}
