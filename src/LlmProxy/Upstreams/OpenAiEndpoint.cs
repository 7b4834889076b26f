namespace LlmProxy.Upstreams;

/// <summary>The OpenAI-compatible endpoints the proxy forwards (CONTRACT §2.3), each with its upstream path.</summary>
public enum OpenAiEndpoint
{
    ChatCompletions,
    Completions,
    Embeddings,
}
