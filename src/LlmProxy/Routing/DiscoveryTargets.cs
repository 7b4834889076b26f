namespace LlmProxy.Routing;

/// <summary>
/// Where <c>LLM_PROVIDER=auto</c> without UPSTREAMS looks for model servers (docs/upstreams.md, Discovery): the usual
/// local port of each popular server, named after it. Only loopback: discovery never scans a network.
/// </summary>
internal static class DiscoveryTargets
{
    public static readonly IReadOnlyList<DiscoveryTarget> All =
    [
        new("ollama", 11434, "Ollama"),
        new("lmstudio", 1234, "LM Studio"),
        new("llamacpp", 8080, "llama.cpp server or LocalAI"),
        new("vllm", 8000, "vLLM"),
    ];

    public static readonly IReadOnlyList<string> Names = [.. All.Select(t => t.Name)];
}

/// <param name="Name">The upstream's name once found.</param>
/// <param name="Port">Its usual port on 127.0.0.1; the base URL is <c>http://127.0.0.1:{Port}/v1/</c>.</param>
/// <param name="Server">Which servers usually listen there (for logs and docs).</param>
internal sealed record DiscoveryTarget(string Name, int Port, string Server)
{
    public Uri BaseUrl { get; } = new($"http://127.0.0.1:{Port}/v1/");
}
