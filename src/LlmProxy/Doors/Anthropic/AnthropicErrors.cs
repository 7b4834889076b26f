using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// Anthropic's error shape, <c>{"type":"error","error":{"type":...,"message":...},"request_id":...}</c>, and which
/// error type goes with which HTTP status (docs/anthropic.md, "Errors"). The proxy keeps its own statuses (502, 503,
/// 504 as the other routes answer them) and picks the Anthropic type closest in meaning.
/// </summary>
internal static class AnthropicErrors
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string Permission = "permission_error";
    public const string NotFound = "not_found_error";
    public const string RequestTooLarge = "request_too_large";
    public const string RateLimit = "rate_limit_error";
    public const string Api = "api_error";
    public const string Overloaded = "overloaded_error";

    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The error type for a status. Anthropic uses invalid_request_error for 4xx statuses it does not list; 503 (no
    /// upstream can take the request now, or its queue is full) is what Anthropic calls overloaded (its 529); 502 and
    /// 504 (the upstream failed or fell silent) are api_error, as Anthropic's own 500.
    /// </summary>
    public static string TypeFor(int status) => status switch
    {
        401 => Authentication,
        403 => Permission,
        404 => NotFound,
        413 => RequestTooLarge,
        429 => RateLimit,
        503 or 529 => Overloaded,
        >= 500 => Api,
        _ => InvalidRequest,
    };

    /// <summary>Writes the error body for <paramref name="status"/>.</summary>
    public static void Write(IBufferWriter<byte> output, int status, string message, string? requestId = null) =>
        Write(output, TypeFor(status), message, requestId);

    /// <summary>Writes the error body with an explicit type.</summary>
    public static void Write(IBufferWriter<byte> output, string type, string message, string? requestId = null)
    {
        using var writer = new Utf8JsonWriter(output, Options);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "error"u8);
        writer.WriteStartObject("error"u8);
        writer.WriteString("type"u8, type);
        writer.WriteString("message"u8, message);
        writer.WriteEndObject();
        if (requestId is not null)
        {
            writer.WriteString("request_id"u8, requestId);
        }
        writer.WriteEndObject();
    }

    /// <summary>The error body as bytes.</summary>
    public static byte[] Body(int status, string message, string? requestId = null)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + message.Length);
        Write(buffer, status, message, requestId);
        return buffer.WrittenSpan.ToArray();
    }
}
