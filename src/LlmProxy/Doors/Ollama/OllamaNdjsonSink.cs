using System.Buffers;
using System.IO.Pipelines;
using LlmProxy.Upstreams;
using Microsoft.AspNetCore.Http.Features;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// The Ollama door's side of <see cref="SseRelay"/>: each upstream event's <c>data:</c> payload goes through one
/// <see cref="OllamaStreamTranslator"/>, which writes its NDJSON line(s) straight into the response's pipe; every
/// event that wrote something is flushed at once, so the client sees each line when the upstream sent its event
/// (docs/ollama.md, Streaming). The end is the translator's: one <c>"done":true</c> line, or one
/// <c>{"error":"..."}</c> line after a failure, never both.
/// </summary>
/// <remarks>
/// The status line goes out with the first line written, not with the first event: the role-only chunk that opens
/// an OpenAI stream writes nothing, and until something is written a failure is still a plain HTTP error that
/// Ollama's clients raise as theirs (the relay asks <see cref="Started"/>).
/// </remarks>
internal sealed class OllamaNdjsonSink(HttpResponse response, OllamaStreamTranslator translator) : IStreamSink
{
    private readonly CountingWriter _output = new(response.BodyWriter);
    private bool _headersSet;

    public bool Started => response.HasStarted;

    public ValueTask OnEventAsync(ReadOnlyMemory<byte> sseEvent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (payload.IsEmpty)
        {
            // A comment (": keep-alive") or an event without data: nothing to translate.
            return ValueTask.CompletedTask;
        }
        SetHeaders();
        translator.OnChunk(payload.Span, _output);
        return FlushAsync(cancellationToken);
    }

    public ValueTask OnDoneAsync(CancellationToken cancellationToken)
    {
        SetHeaders();
        translator.OnDone(_output);
        return FlushAsync(cancellationToken);
    }

    public ValueTask OnErrorAsync(UpstreamFailure failure, CancellationToken cancellationToken)
    {
        SetHeaders();
        translator.OnError(failure.Message, _output);
        return FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Status and headers of the stream, set (not sent) before the translator may write; a failure answered before any
    /// line was written replaces them with its own.
    /// </summary>
    private void SetHeaders()
    {
        if (_headersSet || response.HasStarted)
        {
            return;
        }
        _headersSet = true;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = OllamaWire.NdjsonContentType;
        response.Headers.CacheControl = "no-cache";
        // nginx (and proxies that honour it) would otherwise buffer the stream and the client sees nothing until the end.
        response.Headers["X-Accel-Buffering"] = "no";
        response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    private ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_output.Pending == 0)
        {
            return ValueTask.CompletedTask;
        }
        _output.Pending = 0;
        var flush = response.BodyWriter.FlushAsync(cancellationToken);
        return flush.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(flush.AsTask());
    }

    /// <summary>The response pipe, counting what was written since the last flush (an event may write nothing).</summary>
    private sealed class CountingWriter(PipeWriter inner) : IBufferWriter<byte>
    {
        public long Pending { get; set; }

        public void Advance(int count)
        {
            inner.Advance(count);
            Pending += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
    }
}
