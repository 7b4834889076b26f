using System.Text.Json;
using LlmProxy.Http;
using LlmProxy.Http.Auth;
using LlmProxy.Http.Body;
using LlmProxy.Metrics;
using LlmProxy.Routing;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.Classic;

/// <summary>
/// /proxy and /proxy/stream (docs/api.md, Classic routes): body gate (content type, bounded read, UTF-8) → parse and
/// validate (every problem) → route by model → the upstream, sent a plain OpenAI chat request → the answer normalised
/// into a <c>chat.completion</c>, or its stream relayed. Hostile bodies end as 400/413/415/422, never 500; a model
/// outside the API key's <c>models=</c> is 403; upstream failures are answered in the classic error shape. Under a
/// token limit the stream asks the upstream for its usage, and the usage chunk is kept from the client.
/// </summary>
internal sealed class ClassicChatHandler(JsonBodyGate bodies, ModelRouter router, TimeProvider time, LlmMetrics metrics)
{
    /// <summary>A non-streaming answer is parsed whole to normalise it; larger than this is not a chat answer.</summary>
    public const int MaxCompletionBytes = 32 * 1024 * 1024;

    public async Task HandleAsync(HttpContext context, bool stream)
    {
        ChatRequest? request;
        ReadOnlyMemory<byte> upstreamBody;
        // The classic stream never shows usage; a token limit needs it all the same (docs/replicas.md, Token limits).
        var askUsage = stream && RequestOutcome.Of(context).NeedsUsage;
        BodyReservation? room;
        using (var body = await bodies.ReadAsync(context))
        {
            if (body is null)
            {
                return;
            }
            var problems = new List<ValidationProblem>();
            try
            {
                request = ClassicRequestParser.Parse(body.Memory, problems);
            }
            catch (JsonException e)
            {
                await ClassicErrors.Dialect.WriteAsync(context, new(400, $"Request body is not valid JSON: {e.Message}"));
                return;
            }
            if (request is null)
            {
                await ClassicErrors.WriteValidationAsync(context, problems);
                return;
            }
            // The upstream request is a copy of the body that lives until the request is over: it takes over the body's
            // room in the budget of bodies in flight, and the body is given back here. The copy drops what the body had
            // beyond the fields it keeps, so it rarely needs more room than the body held (whole KiB, see BodyReservation).
            upstreamBody = ClassicUpstreamBody.Write(request, stream, askUsage);
            var (reserved, reservation) = await bodies.GrowRoomAsync(context, body.DetachReservation(), upstreamBody.Length);
            if (!reserved)
            {
                return;
            }
            room = reservation;
        }
        using var heldRoom = room;

        var outcome = RequestOutcome.Of(context);
        outcome.Model = request.Model;
        var upstream = router.Route(request.Model);
        if (ModelAccess.Refusal(context, request.Model, upstream.Model) is { } refusal)
        {
            await ClassicErrors.Dialect.WriteAsync(context, refusal);
            return;
        }
        outcome.Provider = upstream.Name;
        using var scope = stream ? metrics.TrackStream() : default;
        // The body names the client's model: for an alias the route splices its target in (docs/upstreams.md, Aliases).
        using var call = await upstream.SendAsync(new UpstreamRequest(UpstreamEndpoint.ChatCompletions, request.Model, stream, IncludeUsage: askUsage, upstreamBody), context);
        var failure = call.Failure;
        if (failure is null)
        {
            // The classic stream promises chat.completion.chunk events: the relay refuses any body that is not SSE.
            failure = stream
                ? await SseRelay.RelayAsync(call, new SseCopySink(context.Response, dropUsageOnlyChunk: askUsage))
                : await AnswerCompletionAsync(context, call, request.Model);
        }
        if (failure is { ShouldAnswer: true })
        {
            await ClassicErrors.Dialect.WriteAsync(context, failure.ToError());
        }
    }

    /// <summary>The upstream's whole answer, normalised; or the failure that stands for it.</summary>
    private async Task<UpstreamFailure?> AnswerCompletionAsync(HttpContext context, UpstreamCall call, string model)
    {
        var (body, failure) = await UpstreamAnswer.ReadWholeAsync(call, MaxCompletionBytes);
        if (body is null)
        {
            return failure;
        }
        ChatCompletion? completion;
        using (body)
        {
            completion = CompletionNormalizer.Normalize(body.Memory, model, "chatcmpl-" + context.TraceIdentifier, time.GetUtcNow().ToUnixTimeSeconds());
        }
        if (completion is null)
        {
            return call.Fail(UpstreamFailure.InvalidResponse("The upstream model server answered with a body that is not a chat completion"));
        }
        call.OnUsage(completion.Usage.PromptTokens, completion.Usage.CompletionTokens);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, completion, UpstreamJsonContext.Default.ChatCompletion, context.RequestAborted);
        return call.Succeed();
    }
}
