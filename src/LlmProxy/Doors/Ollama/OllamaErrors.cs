using System.Buffers;
using System.Text.Json;
using CommunityToolkit.HighPerformance.Buffers;
using LlmProxy.Http.Errors;
using Microsoft.AspNetCore.WebUtilities;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// Ollama's error shape, <c>{"error":"&lt;message&gt;"}</c>, for every failure of the door: a bad body (400), an unknown
/// model (404), an upstream failure (its status), and every error the edges answer under <c>/api</c> (401, 404, 405,
/// 413, 415, 429, 500, 503). Mid-stream the same object is the stream's last NDJSON line
/// (<see cref="OllamaStreamTranslator.OnError"/>). docs/ollama.md, "Errors".
/// </summary>
internal sealed class OllamaErrors : IErrorDialect
{
    public static readonly OllamaErrors Dialect = new();

    public Type BodyType => typeof(OllamaErrorBody);

    public static void Write(string message, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, OllamaJson.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString(OllamaWire.Error, message);
        writer.WriteEndObject();
    }

    /// <summary>Ollama's own wording for an unknown model, which its clients show as is.</summary>
    public static string ModelNotFound(string model) => $"model '{model}' not found";

    public async Task WriteAsync(HttpContext context, ProxyError error)
    {
        // Ollama's message is never empty: without a detail, the status's name says what happened.
        var message = error.Detail ?? ReasonPhrases.GetReasonPhrase(error.Status);
        using var body = new ArrayPoolBufferWriter<byte>(64 + message.Length);
        Write(message, body);
        error.Prepare(context.Response);
        context.Response.ContentLength = body.WrittenCount;
        await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted);
    }
}
