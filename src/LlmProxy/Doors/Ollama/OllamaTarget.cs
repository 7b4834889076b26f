using LlmProxy.Routing;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// Where one Ollama request goes: the route routing chose for the client's model, and the model name that route sends
/// (the client's, or the target of its MODEL_ALIASES alias; docs/upstreams.md, Routing). The one place the door meets routing
/// and the upstreams (docs/architecture.md, How a door plugs in), so a change of either is a change here.
/// </summary>
internal readonly record struct OllamaTarget(IUpstream Upstream, string UpstreamModel)
{
    /// <summary>Routes <paramref name="model"/> as every door does (docs/configuration.md, MODEL_PROVIDER_MAP).</summary>
    public static OllamaTarget Resolve(ModelRouter router, string model)
    {
        var route = router.Route(model);
        return new(route, route.Model);
    }

    /// <summary>
    /// Sends a translated OpenAI body (<paramref name="body"/>, owned by the caller for the whole call). A stream asks
    /// for the usage chunk: the translators write <c>stream_options.include_usage</c>, and Ollama's last line needs it.
    /// </summary>
    public Task<UpstreamCall> SendAsync(UpstreamEndpoint endpoint, bool stream, ReadOnlyMemory<byte> body, HttpContext context) =>
        Upstream.SendAsync(new UpstreamRequest(endpoint, UpstreamModel, stream, IncludeUsage: stream, body), context);
}
