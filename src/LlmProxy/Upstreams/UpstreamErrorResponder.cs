using System.Text.Json;
using LlmProxy.Http.Errors;
using LlmProxy.Json;

namespace LlmProxy.Upstreams;

/// <summary>
/// CONTRACT §5, "upstream outcomes": turns an upstream error (before anything reached the client) into the route's
/// dialect, and a mid-stream one into the single SSE error event of §6.
/// </summary>
public static class UpstreamErrorResponder
{
    public const string ModelNotFoundTitle = "Model Not Found";

    /// <summary>Answers an upstream error status: model not found → 404, 429/503 as they are (with Retry-After),
    /// other 4xx as they are, other 5xx → 502; the upstream's message is kept.</summary>
    public static Task WriteAsync(HttpContext context, UpstreamError error, HttpResponseMessage? upstream)
    {
        if (error.IsModelNotFound)
        {
            return ErrorWriter.WriteAsync(context, 404, error.Message, openAiCode: "model_not_found", param: "model", seedTitle: ModelNotFoundTitle);
        }
        var status = error.Status;
        if (status is 429 or 503)
        {
            // RFC 9110 §10.2.3: the client should wait as long as the upstream asked.
            if (upstream?.Headers.RetryAfter is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = retryAfter.ToString();
            }
            return ErrorWriter.WriteAsync(context, status, error.Message, openAiCode: error.Code, param: error.Param);
        }
        if (status is >= 400 and < 500)
        {
            return ErrorWriter.WriteAsync(context, status, error.Message, openAiCode: error.Code, param: error.Param);
        }
        // A 5xx (or a 1xx/3xx the proxy cannot relay) is the upstream's failure: 502 with its message.
        return ErrorWriter.WriteAsync(context, 502, error.Message, openAiCode: error.Code, param: error.Param);
    }

    /// <summary>A failure with no upstream answer (unreachable → 502, silent → 504).</summary>
    public static Task WriteFailureAsync(HttpContext context, UpstreamOutcome outcome, string message) => outcome switch
    {
        UpstreamOutcome.Timeout => ErrorWriter.WriteAsync(context, 504, message, openAiCode: "upstream_timeout"),
        UpstreamOutcome.ClientAborted => Task.CompletedTask,
        _ => ErrorWriter.WriteAsync(context, 502, message, openAiCode: "upstream_unreachable"),
    };

    /// <summary>The one <c>data: {"error":{...}}</c> event of a stream that failed after it started (CONTRACT §6).</summary>
    public static byte[] StreamErrorJson(string message, string? type, string? param, string? code) =>
        JsonSerializer.SerializeToUtf8Bytes(new OpenAiErrorEnvelope(new OpenAiError(message, type ?? "server_error", param, code)),
            ProxyJsonContext.Default.OpenAiErrorEnvelope);
}
