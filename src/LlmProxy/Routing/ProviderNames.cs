using LlmProxy.Upstreams;

namespace LlmProxy.Routing;

/// <summary>The provider (upstream) names a user can write in LLM_PROVIDER and MODEL_PROVIDER_MAP.</summary>
internal static class ProviderNames
{
    public const string Stub = StubUpstream.ProviderName;

    /// <summary>Any OpenAI-compatible server (Ollama, LM Studio, LocalAI, llama.cpp server, vLLM), by its first name.</summary>
    public const string Ollama = OpenAiCompatUpstream.ProviderName;

    public static readonly IReadOnlyList<string> All = [Stub, Ollama];

    /// <summary>Returns the canonical (lower-case) name, or null when the name is not a provider.</summary>
    public static string? Normalize(string value)
    {
        var trimmed = value.Trim();
        foreach (var name in All)
        {
            if (string.Equals(name, trimmed, StringComparison.OrdinalIgnoreCase))
            {
                return name;
            }
        }
        return null;
    }
}
