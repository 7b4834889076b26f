using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>Reads an OpenAI <c>usage</c> object's <c>prompt_tokens</c> and <c>completion_tokens</c> (null when absent).</summary>
internal static class OllamaUsage
{
    /// <summary>The reader is on the <c>usage</c> value and is left on its end; a null or odd value reads as "none".</summary>
    public static void Read(ref Utf8JsonReader reader, out long? promptTokens, out long? completionTokens)
    {
        promptTokens = null;
        completionTokens = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isPrompt = OllamaJson.TextEquals(ref reader, "prompt_tokens"u8);
            var isCompletion = !isPrompt && OllamaJson.TextEquals(ref reader, "completion_tokens"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var count) && count >= 0)
            {
                if (isPrompt)
                {
                    promptTokens = count;
                }
                else if (isCompletion)
                {
                    completionTokens = count;
                }
            }
            reader.Skip();
        }
    }
}
