using LlmProxy.Upstreams;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// The relay's sink for a streamed <c>/v1/messages</c> answer (docs/anthropic.md, Streaming): each upstream chunk goes
/// through <see cref="AnthropicStreamTranslator"/> straight into the response's pipe and is flushed at once when it
/// wrote an event (empty deltas and usage-only chunks write nothing, so nothing is flushed); <c>[DONE]</c> or a clean end
/// is <c>message_delta</c> + <c>message_stop</c>; a failure after the start is one <c>event: error</c>. The SSE headers
/// go out with the first event, so a failure before it is still a plain HTTP error in Anthropic's shape.
/// </summary>
internal sealed class AnthropicStreamSink(HttpResponse response, AnthropicStreamTranslator translator) : IStreamSink
{
    public bool Started => response.HasStarted;

    public ValueTask OnEventAsync(ReadOnlyMemory<byte> sseEvent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (payload.IsEmpty)
        {
            // A comment or keep-alive line: nothing to translate.
            return ValueTask.CompletedTask;
        }
        PrepareHeaders();
        return translator.OnChunk(payload.Span, response.BodyWriter) ? FlushAsync(cancellationToken) : ValueTask.CompletedTask;
    }

    public ValueTask OnDoneAsync(CancellationToken cancellationToken)
    {
        PrepareHeaders();
        translator.OnDone(response.BodyWriter);
        return FlushAsync(cancellationToken);
    }

    public ValueTask OnErrorAsync(UpstreamFailure failure, CancellationToken cancellationToken)
    {
        // The relay calls this only after the stream started, so the headers are out already.
        translator.OnError(failure.Message, AnthropicErrors.TypeFor(failure.Status), response.BodyWriter);
        return FlushAsync(cancellationToken);
    }

    /// <summary>
    /// The SSE headers, set before the translator writes (the first write starts the response). Setting them does not
    /// start it: when a chunk writes nothing, a later failure can still be answered as an HTTP error.
    /// </summary>
    private void PrepareHeaders()
    {
        if (!response.HasStarted)
        {
            SseWriter.Start(response);
        }
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken) => await response.BodyWriter.FlushAsync(cancellationToken);
}
