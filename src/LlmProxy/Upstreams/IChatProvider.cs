using LlmProxy.Doors.Classic;
using LlmProxy.Json;

namespace LlmProxy.Upstreams;

/// <summary>A model backend (CONTRACT §3): answers the seed routes and the /v1 routes.</summary>
public interface IChatProvider
{
    /// <summary>The provider's name as written in LLM_PROVIDER / MODEL_PROVIDER_MAP (also the metrics label).</summary>
    string Name { get; }

    /// <summary>
    /// The normalised <c>chat.completion</c> for a seed request, or null when the provider has already answered the
    /// request itself (an upstream error mapped per CONTRACT §5, or a client that went away).
    /// </summary>
    Task<ChatCompletion?> CompleteAsync(ChatRequest request, HttpContext context, CancellationToken cancellationToken);

    /// <summary>Writes the SSE answer (headers included) to <paramref name="context"/>'s response, ending in one <c>data: [DONE]</c>.</summary>
    Task StreamAsync(ChatRequest request, HttpContext context, CancellationToken cancellationToken);

    /// <summary>Answers a /v1 request (CONTRACT §2.3) completely: status, headers and body.</summary>
    Task ForwardAsync(OpenAiRequest request, HttpContext context, CancellationToken cancellationToken);
}
