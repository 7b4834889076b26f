namespace LlmProxy.Http.Errors;

/// <summary>Which error body a route speaks (CONTRACT §5): the OpenAI envelope under /v1, the seed's elsewhere.</summary>
public static class ErrorDialect
{
    public static bool IsOpenAi(HttpRequest request) => request.Path.StartsWithSegments("/v1", StringComparison.Ordinal);
}
