using CommunityToolkit.HighPerformance.Buffers;
using LlmProxy.Http;
using LlmProxy.Http.Body;
using LlmProxy.Metrics;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// Ollama's model routes (docs/ollama.md, Model routes): GET /api/tags (the model list), POST /api/show (one known
/// model), GET /api/ps (the models with requests in flight now), and the constant answers of GET /api/version and of
/// Ollama's heartbeat at <c>/</c>. Everything an OpenAI server does not say (sizes, digests, quantisation) is left blank.
/// </summary>
internal sealed class OllamaModelsHandler(OllamaModelCatalog catalog, JsonBodyGate bodies, LlmMetrics metrics, TimeProvider time)
{
    /// <summary>What Ollama answers at <c>/</c>; its CLI and several apps check the server is there with it.</summary>
    public const string Heartbeat = "Ollama is running";

    public async Task TagsAsync(HttpContext context)
    {
        var models = await catalog.ListAsync(context);
        using var output = new ArrayPoolBufferWriter<byte>(256 + 320 * models.Count);
        OllamaCatalogWriter.WriteTags(models, output);
        await OllamaAnswers.WriteAsync(context, output.WrittenMemory, OllamaAnswers.JsonContentType);
    }

    public async Task ShowAsync(HttpContext context)
    {
        string? name;
        using (var body = await bodies.ReadAsync(context, anyTypeWithoutOrigin: true))
        {
            if (body is null)
            {
                return;
            }
            name = OllamaShowRequest.Read(body.Span, out var problem);
            if (name is null)
            {
                await OllamaErrors.Dialect.WriteAsync(context, new(StatusCodes.Status400BadRequest, problem));
                return;
            }
        }
        RequestOutcome.Of(context).Model = name;
        if (await catalog.FindAsync(context, name) is not { } model)
        {
            await OllamaAnswers.WriteModelNotFoundAsync(context, name);
            return;
        }
        using var output = new ArrayPoolBufferWriter<byte>(512);
        OllamaCatalogWriter.WriteShow(model, output);
        await OllamaAnswers.WriteAsync(context, output.WrittenMemory, OllamaAnswers.JsonContentType);
    }

    /// <summary>The models with upstream calls in progress through any of the proxy's routes: all it can call "running".</summary>
    public async Task PsAsync(HttpContext context)
    {
        var now = time.GetUtcNow();
        var running = metrics.ModelsInFlight().Order(StringComparer.Ordinal).Select(name => new OllamaModel(name, now)).ToList();
        using var output = new ArrayPoolBufferWriter<byte>(256 + 384 * running.Count);
        OllamaCatalogWriter.WritePs(running, now, output);
        await OllamaAnswers.WriteAsync(context, output.WrittenMemory, OllamaAnswers.JsonContentType);
    }

    /// <summary>/api/version's answer, written once.</summary>
    public static byte[] VersionBody { get; } = WriteVersion();

    private static byte[] WriteVersion()
    {
        using var output = new ArrayPoolBufferWriter<byte>(64);
        OllamaCatalogWriter.WriteVersion(output);
        return output.WrittenSpan.ToArray();
    }
}
