using LlmProxy.Http;
using LlmProxy.Http.Auth;
using LlmProxy.Http.Body;
using LlmProxy.Metrics;
using LlmProxy.Routing;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.OpenAi;

/// <summary>
/// POST /v1/chat/completions, /v1/completions, /v1/embeddings (docs/api.md, OpenAI routes): body gate (content type,
/// bounded pooled read, UTF-8) → sniff model and stream (<see cref="OpenAiBodySniffer"/>, the only parse) → route by
/// model → the upstream, sent the same bytes → its answer relayed as it came. Problems are 400/413/415, a model outside
/// the API key's <c>models=</c> is 403, and upstream failures are answered in the OpenAI envelope. The one change the
/// bytes may see: a stream under a token limit whose client did not ask for usage asks for it
/// (<see cref="IncludeUsageEdit"/>), and that usage chunk is then kept from the client.
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

        var outcome = RequestOutcome.Of(context);
        outcome.Model = facts.Model;
        var upstream = router.Route(facts.Model);
        if (ModelAccess.Refusal(context, facts.Model, upstream.Model) is { } refusal)
        {
            await OpenAiErrors.Dialect.WriteAsync(context, refusal);
            return;
        }
        outcome.Provider = upstream.Name;
        // The client's bytes, as sent: nothing re-serialised (only include_usage inserted, when a token limit needs it).
        using var edited = facts.Stream && !facts.IncludeUsage && outcome.NeedsUsage ? IncludeUsageEdit.Apply(body.Span) : null;
        var hideUsage = edited is not null;
        // llm_streams_in_flight counts a streamed answer for as long as the handler relays it.
        using var scope = facts.Stream ? metrics.TrackStream() : default;
        var request = new UpstreamRequest(endpoint, facts.Model, facts.Stream, facts.IncludeUsage || hideUsage, edited?.Memory ?? body.Memory);
        using var call = await upstream.SendAsync(request, context);
        var failure = call.Failure ?? await RelayAsync(call, facts.Stream, hideUsage);
        if (failure is { ShouldAnswer: true })
        {
            await OpenAiErrors.Dialect.WriteAsync(context, failure.ToError());
        }
    }

    private static Task<UpstreamFailure?> RelayAsync(UpstreamCall call, bool stream, bool hideUsage)
    {
        if (stream && !JsonBodyGate.IsJson(call.Response!.Content.Headers.ContentType?.ToString()))
        {
            return SseRelay.RelayAsync(call, new SseCopySink(call.Context.Response, dropUsageOnlyChunk: hideUsage));
        }
        // Not streamed — or streamed, but the server ignored stream:true and answered JSON (some do for some
        // endpoints): its answer is handed over as it is.
        return UpstreamAnswer.PassThroughAsync(call);
    }
}
