using LlmProxy.Api;
using LlmProxy.Json;

namespace LlmProxy.Providers;

/// <summary>A model backend for the seed routes (CONTRACT §3): answers a validated chat request in both modes.</summary>
public interface IChatProvider
{
    /// <summary>The provider's name as written in LLM_PROVIDER / MODEL_PROVIDER_MAP (also the metrics label).</summary>
    string Name { get; }

    /// <summary>The normalised <c>chat.completion</c> for the request.</summary>
    Task<ChatCompletion> CompleteAsync(ChatRequest request, HttpContext context, CancellationToken cancellationToken);

    /// <summary>Writes the SSE answer (headers included) to <paramref name="context"/>'s response, ending in one <c>data: [DONE]</c>.</summary>
    Task StreamAsync(ChatRequest request, HttpContext context, CancellationToken cancellationToken);
}
