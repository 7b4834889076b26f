using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace LlmProxy.Doors.Ollama;

/// <summary>One pass of a request translator: reads <paramref name="body"/>, writes the OpenAI body with <paramref name="writer"/>.</summary>
internal delegate OllamaRequest OllamaBodyPass<TState>(ReadOnlySpan<byte> body, Utf8JsonWriter writer, TState state);

/// <summary>
/// The frame every Ollama request translator shares (docs/ollama.md, "Errors"): an empty body and invalid UTF-8 are
/// refused before any parsing (the reader does not validate UTF-8 inside strings), and malformed JSON found during
/// the pass is a 400 naming the reader's complaint, never an exception out of the door.
/// </summary>
internal static class OllamaBodyTranslation
{
    public static OllamaRequest Run<TState>(ReadOnlySpan<byte> body, IBufferWriter<byte> output, TState state, OllamaBodyPass<TState> pass)
    {
        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            return OllamaRequest.Invalid("missing request body");
        }
        if (!Utf8.IsValid(body))
        {
            return OllamaRequest.Invalid("request body is not valid UTF-8");
        }
        using var writer = new Utf8JsonWriter(output, OllamaJson.WriterOptions);
        try
        {
            return pass(body, writer, state);
        }
        catch (JsonException e)
        {
            return OllamaRequest.Invalid($"invalid JSON body: {e.Message}");
        }
    }
}
