using System.Buffers;
using CommunityToolkit.HighPerformance.Buffers;
using LlmProxy.Http;
using LlmProxy.Http.Auth;
using LlmProxy.Http.Body;
using LlmProxy.Routing;

namespace LlmProxy.Doors.Ollama;

/// <summary>One of the Ollama request translators (chat, generate, embed, embeddings): Ollama body in, OpenAI body out.</summary>
internal delegate OllamaRequest OllamaTranslator(ReadOnlySpan<byte> body, IBufferWriter<byte> output, Func<string, string>? upstreamModel);

/// <summary>
/// The first steps of every translated Ollama route: the body through the shared gate (any Content-Type from clients
/// that are not web pages, as Ollama accepts; bounded, pooled, valid UTF-8), translated into the OpenAI body in a
/// pooled buffer, routed by its model. A bad body is answered here (400 naming the field, in Ollama's shape) and null
/// returned; otherwise the caller owns the <see cref="OllamaIncoming"/> and disposes it.
/// </summary>
internal sealed class OllamaRequestReader(JsonBodyGate bodies, ModelRouter router)
{
    public async Task<OllamaIncoming?> ReadAsync(HttpContext context, OllamaTranslator translate)
    {
        using var body = await bodies.ReadAsync(context, anyTypeWithoutOrigin: true);
        if (body is null)
        {
            return null;
        }
        // The OpenAI body is a second buffer about the body's size, built beside it and held until the upstream call is
        // over: it counts in the budget of bodies in flight like the body (docs/security.md, Memory). Room first.
        var estimate = body.Length + 256;
        var (reserved, room) = await bodies.ReserveCopyAsync(context, body, estimate);
        if (!reserved)
        {
            return null;
        }
        var output = new ArrayPoolBufferWriter<byte>(estimate);
        // Routing happens while the translator writes the model, so the name sent upstream is the routed one.
        OllamaTarget? target = null;
        var request = translate(body.Span, output, model =>
        {
            target = OllamaTarget.Resolve(router, model);
            return target.Value.UpstreamModel;
        });
        if (request.Kind == OllamaRequestKind.Invalid)
        {
            Release(output, room);
            await OllamaErrors.Dialect.WriteAsync(context, new(StatusCodes.Status400BadRequest, request.Problem));
            return null;
        }
        var model = request.Model!;
        RequestOutcome.Of(context).Model = model;
        var resolved = target ?? OllamaTarget.Resolve(router, model);
        // A key limited to some models (docs/replicas.md, Per-key settings) is refused others here, for every /api route.
        if (ModelAccess.Refusal(context, model, resolved.UpstreamModel) is { } refusal)
        {
            Release(output, room);
            await OllamaErrors.Dialect.WriteAsync(context, refusal);
            return null;
        }
        // Images and tool schemas can make the copy larger than the estimate: the rest of its room (the 503 on failure).
        var (grown, _) = await bodies.GrowRoomAsync(context, room, output.WrittenCount);
        if (!grown)
        {
            output.Dispose();
            return null;
        }
        return new OllamaIncoming(request, resolved, output, room);
    }

    private static void Release(ArrayPoolBufferWriter<byte> output, BodyReservation? room)
    {
        output.Dispose();
        room?.Dispose();
    }
}

/// <summary>
/// A translated request: what it asks for, where it goes, and the OpenAI body (pooled) with its room in the budget of
/// bodies in flight; dispose to give both back.
/// </summary>
internal sealed class OllamaIncoming(OllamaRequest request, OllamaTarget target, ArrayPoolBufferWriter<byte> body, BodyReservation? room) : IDisposable
{
    public OllamaRequest Request { get; } = request;

    /// <summary>The model name the client sent, which every answer echoes.</summary>
    public string Model => Request.Model!;

    public OllamaTarget Target { get; } = target;

    /// <summary>The OpenAI body to send upstream (only for <see cref="OllamaRequestKind.Upstream"/>: a load call sends nothing).</summary>
    public ReadOnlyMemory<byte> Body => body.WrittenMemory;

    public void Dispose()
    {
        body.Dispose();
        room?.Dispose();
    }
}
