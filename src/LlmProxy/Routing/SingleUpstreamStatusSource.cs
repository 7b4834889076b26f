using LlmProxy.Upstreams;

namespace LlmProxy.Routing;

/// <summary>
/// The upstreams to show while the proxy has one OpenAI-compatible server (OPENAI_COMPAT_BASE_URL, the upstream named
/// <c>ollama</c>): that one, when LLM_PROVIDER or a MODEL_PROVIDER_MAP entry routes to it, with the state its own
/// calls taught (docs/observability.md, The /ui page); none when everything goes to the stub. Its model count is
/// not known (null), it has no queue, no priority and no concurrency limit.
/// </summary>
internal sealed class SingleUpstreamStatusSource(ModelRouter router, OpenAiCompatUpstream upstream) : IUpstreamStatusSource
{
    private readonly bool _routed = router.Reaches(OpenAiCompatUpstream.ProviderName);

    public IReadOnlyList<UpstreamStatus> Snapshot() => _routed
        ?
        [
            new UpstreamStatus(upstream.Name, UpstreamHealthNames.Display(upstream.BaseUrl), upstream.State.Health, Models: null,
                upstream.State.InFlight, Queued: 0, Priority: 0, MaxConcurrency: 0),
        ]
        : [];
}
