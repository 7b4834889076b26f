using System.Text;
using System.Text.Json;
using LlmProxy.Json;

namespace LlmProxy.Upstreams;

/// <summary>
/// Reads the error bodies real OpenAI-compatible servers send (docs/api.md, Errors), so a client gets the upstream's own
/// message in the proxy's envelope:
/// <list type="bullet">
/// <item>OpenAI, Ollama, LM Studio, vLLM ≥ 0.10.1, llama.cpp: <c>{"error":{"message","type","param","code"}}</c> (code a string or an integer)</item>
/// <item>vLLM &lt; 0.10.1: flat <c>{"object":"error","message","type","param","code"}</c></item>
/// <item>Ollama's native errors and others: <c>{"error":"text"}</c>; FastAPI: <c>{"detail":...}</c></item>
/// <item>anything else: the text itself (Ollama's 403 to a foreign Host has an empty body)</item>
/// </list>
/// </summary>
internal static class UpstreamErrorParser
{
    private const int MaxMessageChars = 2000;

    public static UpstreamError Parse(int status, ReadOnlySpan<byte> body)
    {
        if (TryParseJson(status, body, out var error))
        {
            return error;
        }
        var text = Encoding.UTF8.GetString(body).Trim();
        return new UpstreamError(status, text.Length == 0 ? $"The upstream model server answered {status} with an empty body" : Cap(text), null, null, null);
    }

    /// <summary>An error carried inside a stream event (<c>data: {"error":...}</c>), or null when the event is not one.</summary>
    public static UpstreamError? ParseStreamEvent(ReadOnlySpan<byte> json, bool isErrorField)
    {
        if (TryParseJson(0, json, out var error, bare: isErrorField))
        {
            return error;
        }
        return isErrorField ? new UpstreamError(0, Cap(Encoding.UTF8.GetString(json).Trim()), null, null, null) : null;
    }

    /// <param name="bare">The JSON is known to be an error (llama.cpp's <c>error:</c> field): a bare object with a message counts.</param>
    private static bool TryParseJson(int status, ReadOnlySpan<byte> body, out UpstreamError error, bool bare = false)
    {
        error = null!;
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!JsonDocument.TryParseValue(ref reader, out var parsed))
            {
                return false;
            }
            document = parsed;
        }
        catch (JsonException)
        {
            return false;
        }
        using (document)
        {
            try
            {
                return TryRead(status, document.RootElement, bare, out error);
            }
            catch (InvalidOperationException)
            {
                // An "object" value with a lone surrogate escape (ValueEquals), or invalid UTF-8 in a value shown raw
                // (GetRawText): not a shape we know, so the body is shown as text.
                return false;
            }
        }
    }

    private static bool TryRead(int status, JsonElement root, bool bare, out UpstreamError error)
    {
        error = null!;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        if (JsonText.TryGetProperty(root, "error"u8, out var inner))
        {
            if (inner.ValueKind == JsonValueKind.Object)
            {
                error = FromObject(status, inner);
                return true;
            }
            if (inner.ValueKind == JsonValueKind.String)
            {
                error = new UpstreamError(status, Cap(JsonText.GetStringLenient(inner)), null, null, null);
                return true;
            }
        }
        if (JsonText.TryGetProperty(root, "object"u8, out var kind) && kind.ValueKind == JsonValueKind.String && kind.ValueEquals("error"u8))
        {
            error = FromObject(status, root);
            return true;
        }
        if (status != 0 && JsonText.TryGetProperty(root, "detail"u8, out var detail))
        {
            error = new UpstreamError(status, Cap(detail.ValueKind == JsonValueKind.String ? JsonText.GetStringLenient(detail) : detail.GetRawText()), null, null, null);
            return true;
        }
        if ((status != 0 || bare) && JsonText.TryGetProperty(root, "message"u8, out _))
        {
            error = FromObject(status, root);
            return true;
        }
        return false;
    }

    private static UpstreamError FromObject(int status, JsonElement element)
    {
        var message = StringOf(element, "message"u8) ?? (JsonText.TryGetProperty(element, "message"u8, out var m) ? m.GetRawText() : null);
        return new UpstreamError(
            status,
            Cap(string.IsNullOrWhiteSpace(message) ? "The upstream model server reported an error without a message" : message),
            NonEmpty(StringOf(element, "type"u8)),
            NonEmpty(StringOf(element, "param"u8)),
            NonEmpty(StringOf(element, "code"u8)));
    }

    private static string? StringOf(JsonElement element, ReadOnlySpan<byte> name) =>
        JsonText.TryGetProperty(element, name, out var value) && value.ValueKind == JsonValueKind.String ? JsonText.GetStringLenient(value) : null;

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static string Cap(string text) => text.Length <= MaxMessageChars ? text : text[..MaxMessageChars] + "…";
}

/// <summary>
/// What an upstream error body said, whatever its shape (see <see cref="UpstreamErrorParser"/>): the message kept
/// as the upstream wrote it, and the OpenAI fields when it had them (a numeric <c>code</c> is dropped: the envelope's
/// <c>code</c> is a string).
/// </summary>
internal sealed record UpstreamError(int Status, string Message, string? Type, string? Param, string? Code)
{
    /// <summary>The upstream does not know the model (docs/api.md, Errors): each server words it differently.</summary>
    public bool IsModelNotFound =>
        string.Equals(Code, "model_not_found", StringComparison.Ordinal)
        || (Status is 404 or 400 or 500 && LooksLikeModelNotFound(Message));

    // Ollama: `model "x" not found, try pulling it first`; vLLM: "The model `x` does not exist.";
    // LocalAI: `model "x" not found` (status 404, or 500 from older builds that fail while loading).
    private static bool LooksLikeModelNotFound(string message) =>
        message.Contains("model", StringComparison.OrdinalIgnoreCase)
        && (message.Contains("not found", StringComparison.OrdinalIgnoreCase) || message.Contains("does not exist", StringComparison.OrdinalIgnoreCase));
}
