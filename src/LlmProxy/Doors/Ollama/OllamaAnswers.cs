using LlmProxy.Http.Errors;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.Ollama;

/// <summary>How every Ollama route writes a whole answer, an upstream's failure or an unknown model (docs/ollama.md, Errors).</summary>
internal static class OllamaAnswers
{
    /// <summary>Ollama answers <c>application/json; charset=utf-8</c>.</summary>
    public const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>A 200 with <paramref name="body"/> and its Content-Length.</summary>
    public static Task WriteAsync(HttpContext context, ReadOnlyMemory<byte> body, string contentType)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    /// <summary>
    /// An upstream failure in Ollama's shape, its status and <c>Retry-After</c> kept. An unknown model is told in
    /// Ollama's own words with the name the client sent (an upstream's wording differs from server to server).
    /// </summary>
    public static Task WriteFailureAsync(HttpContext context, UpstreamFailure failure, string model)
    {
        var error = failure.ToError();
        if (failure.ModelNotFound)
        {
            error = error with { Detail = OllamaErrors.ModelNotFound(model) };
        }
        return OllamaErrors.Dialect.WriteAsync(context, error);
    }

    /// <summary>404 <c>{"error":"model 'x' not found"}</c>.</summary>
    public static Task WriteModelNotFoundAsync(HttpContext context, string model) =>
        OllamaErrors.Dialect.WriteAsync(context, new ProxyError(StatusCodes.Status404NotFound, OllamaErrors.ModelNotFound(model), UpstreamFailure.ModelNotFoundCode));

    /// <summary>The answer's usage, for metrics, the request log and token limits (the request's outcome).</summary>
    public static void RecordUsage(UpstreamCall call, OllamaAnswer answer)
    {
        if (answer.PromptTokens is null && answer.CompletionTokens is null)
        {
            return;
        }
        call.OnUsage(Clamp(answer.PromptTokens), Clamp(answer.CompletionTokens));
    }

    private static int Clamp(long? tokens) => (int)Math.Clamp(tokens ?? 0, 0, int.MaxValue);
}
