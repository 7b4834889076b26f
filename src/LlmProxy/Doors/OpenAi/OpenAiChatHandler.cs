using LlmProxy.Http;
using LlmProxy.Http.Body;
using LlmProxy.Metrics;
using LlmProxy.Routing;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.OpenAi;

/// <summary>
/// POST /v1/chat/completions, /v1/completions, /v1/embeddings (docs/api.md, OpenAI routes): body gate (content type,
/// bounded pooled read, UTF-8) → sniff model and stream (<see cref="OpenAiBodySniffer"/>, the only parse) → route by
/// model → the upstream, sent the same bytes → its answer relayed as it came. Problems are 400/413/415 and upstream
/// failures are answered in the OpenAI envelope.
/// </summary>
internal sealed class OpenAiChatHandler(JsonBodyGate bodies, ModelRouter router, LlmMetrics metrics)
{
    public async Task HandleAsync(HttpContext context, UpstreamEndpoint endpoint)
    {
        using var body = await bodies.ReadAsync(context);
        if (body is null)
        {
            return;
        }
        var facts = OpenAiBodySniffer.Sniff(body.Span, out var problem, out var param);
        if (facts is null)
        {
            await OpenAiErrors.Dialect.WriteAsync(context, new(400, problem, Param: param));
            return;
        }

        var upstream = router.Route(facts.Model);
        var outcome = RequestOutcome.Of(context);
        outcome.Model = facts.Model;
        outcome.Provider = upstream.Name;
        // llm_streams_in_flight counts a streamed answer for as long as the handler relays it.
        using var scope = facts.Stream ? metrics.TrackStream() : default;
        // The client's bytes, as sent: nothing re-serialised.
        using var call = await upstream.SendAsync(new UpstreamRequest(endpoint, facts.Model, facts.Stream, facts.IncludeUsage, body.Memory), context);
        var failure = call.Failure ?? await RelayAsync(call, facts.Stream);
        if (failure is { ShouldAnswer: true })
        {
            await OpenAiErrors.Dialect.WriteAsync(context, failure.ToError());
        }
    }

    private static Task<UpstreamFailure?> RelayAsync(UpstreamCall call, bool stream)
    {
        if (stream && !JsonBodyGate.IsJson(call.Response!.Content.Headers.ContentType?.ToString()))
        {
            return SseRelay.RelayAsync(call, new SseCopySink(call.Context.Response));
        }
        // Not streamed — or streamed, but the server ignored stream:true and answered JSON (some do for some
        // endpoints): its answer is handed over as it is.
        return UpstreamAnswer.PassThroughAsync(call);
    }
}
