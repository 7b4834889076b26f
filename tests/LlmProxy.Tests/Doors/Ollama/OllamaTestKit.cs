using System.Buffers;
using System.Text;
using System.Text.Json;
using LlmProxy.Doors.Ollama;

namespace LlmProxy.Tests.Doors.Ollama;

/// <summary>Runs the Ollama translators on strings and hands back parsed JSON to assert on.</summary>
internal static class OllamaTestKit
{
    /// <summary>A 1x1 PNG.</summary>
    public const string Png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    public static string Base64Of(params byte[] bytes) => Convert.ToBase64String(bytes);

    public static (OllamaRequest Request, JsonElement Body) Chat(string json, Func<string, string>? upstreamModel = null) =>
        Run(json, (body, output) => OllamaChatRequestTranslator.Translate(body, output, upstreamModel));

    public static (OllamaRequest Request, JsonElement Body) Generate(string json) =>
        Run(json, (body, output) => OllamaGenerateRequestTranslator.Translate(body, output));

    public static (OllamaRequest Request, JsonElement Body) Embed(string json) =>
        Run(json, (body, output) => OllamaEmbedRequestTranslator.TranslateEmbed(body, output));

    public static (OllamaRequest Request, JsonElement Body) Embeddings(string json) =>
        Run(json, (body, output) => OllamaEmbedRequestTranslator.TranslateEmbeddings(body, output));

    public delegate OllamaRequest Translator(ReadOnlySpan<byte> body, IBufferWriter<byte> output);

    private static (OllamaRequest, JsonElement) Run(string json, Translator translate)
    {
        var output = new ArrayBufferWriter<byte>();
        var request = translate(Encoding.UTF8.GetBytes(json), output);
        var body = request.Kind == OllamaRequestKind.Upstream ? Parse(output.WrittenSpan) : default;
        return (request, body);
    }

    /// <summary>Parses (and so proves well-formed) JSON bytes.</summary>
    public static JsonElement Parse(ReadOnlySpan<byte> json)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        return document.RootElement.Clone();
    }

    public static JsonElement Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    public static JsonElement Write(Action<IBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return Parse(output.WrittenSpan);
    }

    /// <summary>The NDJSON lines of a stream, each parsed; fails when the output does not end in a line feed.</summary>
    public static List<JsonElement> Lines(ArrayBufferWriter<byte> output)
    {
        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        if (text.Length == 0)
        {
            return [];
        }
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return text[..^1].Split('\n').Select(Parse).ToList();
    }

    public static string Text(this JsonElement element, string property) => element.GetProperty(property).GetString()!;

    public static bool Has(this JsonElement element, string property) => element.TryGetProperty(property, out _);
}
