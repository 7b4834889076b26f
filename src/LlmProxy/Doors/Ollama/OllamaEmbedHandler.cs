using CommunityToolkit.HighPerformance.Buffers;
using LlmProxy.Http;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// POST /api/embed and the older /api/embeddings (docs/ollama.md, Embeddings): translated into an OpenAI
/// <c>/v1/embeddings</c> request, routed and sent like /v1, the answer's vectors copied into Ollama's shape. A request
/// without input is the load call, answered here.
/// </summary>
internal sealed class OllamaEmbedHandler(OllamaRequestReader reader, OllamaModelCatalog catalog, TimeProvider time)
{
    /// <summary>
    /// An embeddings answer is read whole to reshape it. A large batch is large (1,000 inputs of 4,096 dimensions are
    /// about 40 MB of JSON numbers); past this it is refused rather than held.
    /// </summary>
    public const int MaxEmbeddingsBytes = 64 * 1024 * 1024;

    /// <param name="context">The request.</param>
    /// <param name="legacy">true for /api/embeddings (<c>prompt</c> in, one <c>embedding</c> out), false for /api/embed.</param>
    public async Task HandleAsync(HttpContext context, bool legacy)
    {
        var started = time.GetTimestamp();
        using var incoming = await reader.ReadAsync(context, legacy ? OllamaEmbedRequestTranslator.TranslateEmbeddings : OllamaEmbedRequestTranslator.TranslateEmbed);
        if (incoming is null)
        {
            return;
        }
        if (incoming.Request.Kind is OllamaRequestKind.Load or OllamaRequestKind.Unload)
        {
            await AnswerLoadCallAsync(context, incoming.Model, legacy);
            return;
        }

        RequestOutcome.Of(context).Provider = incoming.Target.Upstream.Name;
        using var call = await incoming.Target.SendAsync(UpstreamEndpoint.Embeddings, stream: false, incoming.Body, context);
        var failure = call.Failure ?? await AnswerAsync(call, incoming.Model, started, legacy);
        if (failure is { ShouldAnswer: true })
        {
            await OllamaAnswers.WriteFailureAsync(context, failure, incoming.Model);
        }
    }

    private async Task<UpstreamFailure?> AnswerAsync(UpstreamCall call, string model, long started, bool legacy)
    {
        var (body, failure) = await UpstreamAnswer.ReadWholeAsync(call, MaxEmbeddingsBytes);
        if (body is null)
        {
            return failure;
        }
        using var output = new ArrayPoolBufferWriter<byte>(body.Length + 256);
        OllamaAnswer answer;
        using (body)
        {
            answer = legacy
                ? OllamaEmbedResponseTranslator.WriteEmbeddings(body.Span, output)
                : OllamaEmbedResponseTranslator.WriteEmbed(body.Span, model, OllamaTimings.Whole(time.GetElapsedTime(started)), output);
        }
        if (!answer.Translated)
        {
            return call.Fail(UpstreamFailure.InvalidResponse("The upstream model server answered with a body that is not an embeddings list"));
        }
        OllamaAnswers.RecordUsage(call, answer);
        await OllamaAnswers.WriteAsync(call.Context, output.WrittenMemory, OllamaAnswers.JsonContentType);
        return call.Succeed();
    }

    private async Task AnswerLoadCallAsync(HttpContext context, string model, bool legacy)
    {
        if (await catalog.FindAsync(context, model) is null)
        {
            await OllamaAnswers.WriteModelNotFoundAsync(context, model);
            return;
        }
        using var output = new ArrayPoolBufferWriter<byte>(128);
        if (legacy)
        {
            OllamaLoadResponses.WriteEmbeddings(output);
        }
        else
        {
            OllamaLoadResponses.WriteEmbed(model, output);
        }
        await OllamaAnswers.WriteAsync(context, output.WrittenMemory, OllamaAnswers.JsonContentType);
    }
}
