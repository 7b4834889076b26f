using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Http.Body;
using LlmProxy.Http.Errors;
using LlmProxy.Metrics;
using LlmProxy.Routing;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.OpenAi;

/// <summary>
/// POST /v1/chat/completions, /v1/completions, /v1/embeddings (CONTRACT §2.3): content type → bounded pooled body read
/// → sniff model and stream (<see cref="OpenAiBodySniffer"/>, the only parse) → route by model → provider, which
/// forwards the same bytes. Problems are 400/413/415 in the OpenAI envelope.
/// </summary>
public sealed class OpenAiHandler(ProxySettings settings, ProviderRouter router, LlmMetrics metrics)
{
    public async Task HandleAsync(HttpContext context, OpenAiEndpoint endpoint)
    {
        var cancellationToken = context.RequestAborted;
        using var body = await JsonRequestBody.ReadAsync(context, settings);
        if (body is null)
        {
            return;
        }
        var facts = OpenAiBodySniffer.Sniff(body.Span, out var problem, out var param);
        if (facts is null)
        {
            await ErrorWriter.WriteAsync(context, 400, problem, param: param);
            return;
        }

        var provider = router.Resolve(facts.Model);
        var requestFacts = RequestFacts.For(context);
        requestFacts.Model = facts.Model;
        requestFacts.Provider = provider.Name;
        var request = new OpenAiRequest(endpoint, facts.Model, facts.Stream, facts.IncludeUsage, body.Memory);
        // llm_streams_in_flight counts a streamed answer for as long as the handler relays it.
        using var open = facts.Stream ? metrics.TrackStream() : default;
        await provider.ForwardAsync(request, context, cancellationToken);
    }
}
