using CommunityToolkit.HighPerformance.Buffers;
using LlmProxy.Http;
using LlmProxy.Http.Auth;
using LlmProxy.Http.Body;
using LlmProxy.Metrics;
using LlmProxy.Routing;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// <c>POST /v1/messages</c> (docs/anthropic.md): body gate (content type, bounded pooled read, UTF-8) → parse and
/// validate (<see cref="AnthropicRequestParser"/>, one reader pass, 400 naming the field) → route by model like /v1 →
/// the OpenAI chat body written into a pooled buffer and sent → the answer translated back: a JSON message
/// (<see cref="AnthropicResponseTranslator"/>) or Anthropic's event stream (<see cref="AnthropicStreamSink"/>). Failures
/// before the first byte are HTTP errors in Anthropic's shape with the status the other routes use.
/// </summary>
internal sealed class AnthropicMessagesHandler(JsonBodyGate bodies, ModelRouter router, LlmMetrics metrics)
{
    /// <summary>A non-streamed answer is read whole to translate it; larger than this is not a chat answer.</summary>
    public const int MaxCompletionBytes = 32 * 1024 * 1024;

    public async Task HandleAsync(HttpContext context)
    {
        using var body = await bodies.ReadAsync(context);
        if (body is null)
        {
            return;
        }
        // The parsed request keeps slices of the pooled body: it stays rented until the upstream call is over.
        var parsed = AnthropicRequestParser.Parse(body.Memory);
        if (!parsed.IsValid)
        {
            await AnthropicErrorDialect.Instance.WriteAsync(context, new(400, parsed.Problem));
            return;
        }
        var request = parsed.Request;
        RequestOutcome.Of(context).Model = request.Model;
        var route = router.Route(request.Model);
        // A key limited to some models (docs/replicas.md, Per-key settings) is refused others, in Anthropic's shape.
        if (ModelAccess.Refusal(context, request.Model, route.Model) is { } refusal)
        {
            await AnthropicErrorDialect.Instance.WriteAsync(context, refusal);
            return;
        }
        var reply = new AnthropicReplyOptions(AnthropicIds.ForMessage(context.TraceIdentifier), request.Model,
            request.ThinkingRequested, request.EstimateInputTokens());

        // The OpenAI body is a second buffer about the body's size, held beside it until the upstream call is over: it
        // counts in the budget of bodies in flight like the body (docs/security.md, Memory). Room first, then the buffer.
        var estimate = body.Length + 512;
        var (reserved, room) = await bodies.ReserveCopyAsync(context, body, estimate);
        if (!reserved)
        {
            return;
        }
        using var copyRoom = room;
        using var upstreamBody = new ArrayPoolBufferWriter<byte>(estimate);
        RequestOutcome.Of(context).Provider = route.Name;
        request.WriteOpenAiBody(upstreamBody, upstreamModel: route.Model);
        // Tool schemas and images can make the copy larger than the estimate: the rest of its room, before it is sent.
        if (!(await bodies.GrowRoomAsync(context, copyRoom, upstreamBody.WrittenCount)).Reserved)
        {
            return;
        }

        // llm_streams_in_flight counts a streamed answer for as long as the handler relays it.
        using var scope = request.Stream ? metrics.TrackStream() : default;
        using var call = await SendAsync(context, route, request, upstreamBody);
        var failure = call.Failure ?? (request.Stream ? await StreamAsync(call, reply) : await AnswerAsync(call, reply));
        if (failure is { ShouldAnswer: true })
        {
            await AnthropicErrorDialect.Instance.WriteAsync(context, failure.ToError());
        }
    }

    /// <summary>
    /// The one place the door sends: the OpenAI body written for the route (docs/upstreams.md, Routing), with the model
    /// the route sends (the target of a MODEL_ALIASES alias) → the upstream call.
    /// </summary>
    private static async Task<UpstreamCall> SendAsync(HttpContext context, RoutedUpstream upstream, AnthropicRequest request, ArrayPoolBufferWriter<byte> buffer)
    {
        // A streamed request asks for the usage chunk (stream_options.include_usage): it feeds the final message_delta.
        return await upstream.SendAsync(new UpstreamRequest(UpstreamEndpoint.ChatCompletions, upstream.Model, request.Stream,
            IncludeUsage: request.Stream, buffer.WrittenMemory), context);
    }

    /// <summary>The upstream's event stream, translated event by event; or its failure while nothing reached the client.</summary>
    private static async Task<UpstreamFailure?> StreamAsync(UpstreamCall call, AnthropicReplyOptions reply)
    {
        var translator = new AnthropicStreamTranslator(reply);
        if (JsonBodyGate.IsJson(call.Response!.Content.Headers.ContentType?.ToString()))
        {
            // The server ignored stream:true and answered one JSON completion (some do): it becomes the whole stream.
            return await StreamWholeAnswerAsync(call, translator);
        }
        return await SseRelay.RelayAsync(call, new AnthropicStreamSink(call.Context.Response, translator));
    }

    private static async Task<UpstreamFailure?> StreamWholeAnswerAsync(UpstreamCall call, AnthropicStreamTranslator translator)
    {
        var (completion, failure) = await UpstreamAnswer.ReadWholeAsync(call, MaxCompletionBytes);
        if (completion is null)
        {
            return failure;
        }
        using (completion)
        {
            var sink = new AnthropicStreamSink(call.Context.Response, translator);
            try
            {
                await sink.OnEventAsync(completion.Memory, completion.Memory, call.Context.RequestAborted);
                if (translator.Finished)
                {
                    // The body was not a completion (not JSON): said in the stream's error event, which has started.
                    call.OnEnd(UpstreamOutcome.UpstreamError);
                    return null;
                }
                RecordUsage(call, translator.Usage);
                await sink.OnDoneAsync(call.Context.RequestAborted);
            }
            catch (OperationCanceledException) when (call.Context.RequestAborted.IsCancellationRequested)
            {
                return call.ClientLeft();
            }
        }
        return call.Succeed();
    }

    /// <summary>The upstream's whole answer, translated into one Anthropic message; or the failure that stands for it.</summary>
    private static async Task<UpstreamFailure?> AnswerAsync(UpstreamCall call, AnthropicReplyOptions reply)
    {
        var (completion, failure) = await UpstreamAnswer.ReadWholeAsync(call, MaxCompletionBytes);
        if (completion is null)
        {
            return failure;
        }
        using var message = new ArrayPoolBufferWriter<byte>(completion.Length + 256);
        using (completion)
        {
            if (!AnthropicResponseTranslator.TryTranslate(completion.Span, reply, message, out var usage, out var problem))
            {
                return call.Fail(UpstreamFailure.InvalidResponse(problem!));
            }
            RecordUsage(call, usage);
        }
        var response = call.Context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.ContentLength = message.WrittenCount;
        try
        {
            await response.Body.WriteAsync(message.WrittenMemory, call.Context.RequestAborted);
        }
        catch (OperationCanceledException) when (call.Context.RequestAborted.IsCancellationRequested)
        {
            return call.ClientLeft();
        }
        return call.Succeed();
    }

    /// <summary>The upstream's token counts, for the request log and the token metrics (only what it reported).</summary>
    private static void RecordUsage(UpstreamCall call, TokenUsage usage)
    {
        if (usage.InputTokens is not null || usage.OutputTokens is not null)
        {
            call.OnUsage(usage.InputTokens ?? 0, usage.OutputTokens ?? 0);
        }
    }
}
