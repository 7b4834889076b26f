using CommunityToolkit.HighPerformance.Buffers;
using LlmProxy.Http;
using LlmProxy.Http.Body;
using LlmProxy.Metrics;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// POST /api/chat and /api/generate (docs/ollama.md): the Ollama body translated into an OpenAI chat completion
/// request (<see cref="OllamaRequestReader"/>) → routed and sent like /v1 → the answer translated back: a stream as
/// NDJSON lines, one per upstream event (<see cref="OllamaNdjsonSink"/>), or one JSON object. The load and unload
/// calls are answered here without an upstream call. Every failure is Ollama's <c>{"error":"..."}</c> with its status.
/// </summary>
internal sealed class OllamaChatHandler(OllamaRequestReader reader, OllamaModelCatalog catalog, TimeProvider time, LlmMetrics metrics)
{
    /// <summary>A non-streaming answer is read whole to translate it; larger than this is not a chat answer.</summary>
    public const int MaxCompletionBytes = 32 * 1024 * 1024;

    /// <param name="context">The request.</param>
    /// <param name="chat">true for /api/chat (answers carry <c>message</c>), false for /api/generate (<c>response</c>).</param>
    public async Task HandleAsync(HttpContext context, bool chat)
    {
        // Ollama's durations count from the request's arrival (docs/ollama.md, Counts and durations).
        var started = time.GetTimestamp();
        using var incoming = await reader.ReadAsync(context, chat ? OllamaChatRequestTranslator.Translate : OllamaGenerateRequestTranslator.Translate);
        if (incoming is null)
        {
            return;
        }
        if (incoming.Request.Kind is OllamaRequestKind.Load or OllamaRequestKind.Unload)
        {
            await AnswerLoadCallAsync(context, incoming, chat);
            return;
        }

        var stream = incoming.Request.Stream;
        RequestOutcome.Of(context).Provider = incoming.Target.Upstream.Name;
        // llm_streams_in_flight counts a streamed answer for as long as the handler relays it, as on /v1.
        using var scope = stream ? metrics.TrackStream() : default;
        using var call = await incoming.Target.SendAsync(UpstreamEndpoint.ChatCompletions, stream, incoming.Body, context);
        var failure = call.Failure ?? await AnswerAsync(call, chat, incoming.Model, started, stream);
        if (failure is { ShouldAnswer: true })
        {
            await OllamaAnswers.WriteFailureAsync(context, failure, incoming.Model);
        }
    }

    private async Task<UpstreamFailure?> AnswerAsync(UpstreamCall call, bool chat, string model, long started, bool stream)
    {
        if (!stream)
        {
            return await AnswerWholeAsync(call, chat, model, started, ndjson: false);
        }
        if (JsonBodyGate.IsJson(call.Response!.Content.Headers.ContentType?.ToString()))
        {
            // The server ignored stream:true and answered one JSON completion (some do): it becomes the stream's one
            // and last line, which Ollama's clients read like any other stream.
            return await AnswerWholeAsync(call, chat, model, started, ndjson: true);
        }
        using var translator = new OllamaStreamTranslator(chat, model, started, time);
        return await SseRelay.RelayAsync(call, new OllamaNdjsonSink(call.Context.Response, translator));
    }

    /// <summary>The upstream's whole completion, translated into Ollama's answer (a JSON object, or one NDJSON line).</summary>
    private async Task<UpstreamFailure?> AnswerWholeAsync(UpstreamCall call, bool chat, string model, long started, bool ndjson)
    {
        var (body, failure) = await UpstreamAnswer.ReadWholeAsync(call, MaxCompletionBytes);
        if (body is null)
        {
            return failure;
        }
        using var output = new ArrayPoolBufferWriter<byte>(1024);
        OllamaAnswer answer;
        using (body)
        {
            var timings = OllamaTimings.Whole(time.GetElapsedTime(started));
            answer = chat
                ? OllamaCompletionTranslator.WriteChat(body.Span, model, time.GetUtcNow(), timings, output)
                : OllamaCompletionTranslator.WriteGenerate(body.Span, model, time.GetUtcNow(), timings, output);
        }
        if (!answer.Translated)
        {
            return call.Fail(UpstreamFailure.InvalidResponse("The upstream model server answered with a body that is not a chat completion"));
        }
        OllamaAnswers.RecordUsage(call, answer);
        if (ndjson)
        {
            OllamaJson.WriteNewLine(output);
        }
        await OllamaAnswers.WriteAsync(call.Context, output.WrittenMemory, ndjson ? OllamaWire.NdjsonContentType : OllamaAnswers.JsonContentType);
        return call.Succeed();
    }

    /// <summary>
    /// Ollama's "load the model" and "unload the model" calls: nothing to send to an OpenAI server, which loads on demand;
    /// the answer says the model is loaded (or unloaded) when the proxy can route it, else 404 as Ollama answers.
    /// </summary>
    private async Task AnswerLoadCallAsync(HttpContext context, OllamaIncoming incoming, bool chat)
    {
        if (await catalog.FindAsync(context, incoming.Model) is null)
        {
            await OllamaAnswers.WriteModelNotFoundAsync(context, incoming.Model);
            return;
        }
        using var output = new ArrayPoolBufferWriter<byte>(256);
        var unload = incoming.Request.Kind == OllamaRequestKind.Unload;
        if (chat)
        {
            OllamaLoadResponses.WriteChat(incoming.Model, unload, time.GetUtcNow(), output);
        }
        else
        {
            OllamaLoadResponses.WriteGenerate(incoming.Model, unload, time.GetUtcNow(), output);
        }
        await OllamaAnswers.WriteAsync(context, output.WrittenMemory, OllamaAnswers.JsonContentType);
    }
}
