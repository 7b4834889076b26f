namespace LlmProxy.Upstreams;

public static class OpenAiEndpoints
{
    /// <summary>The path relative to OPENAI_COMPAT_BASE_URL (which ends in '/').</summary>
    public static string UpstreamPath(this OpenAiEndpoint endpoint) => endpoint switch
    {
        OpenAiEndpoint.ChatCompletions => "chat/completions",
        OpenAiEndpoint.Completions => "completions",
        OpenAiEndpoint.Embeddings => "embeddings",
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
    };

    /// <summary>The proxy's own route for the endpoint.</summary>
    public static string Route(this OpenAiEndpoint endpoint) => "/v1/" + endpoint.UpstreamPath();
}
