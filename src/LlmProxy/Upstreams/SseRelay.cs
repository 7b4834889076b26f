using LlmProxy.Http.Body;

namespace LlmProxy.Upstreams;

/// <summary>
/// Relays an upstream <c>text/event-stream</c> to the client event by event (docs/api.md, Streaming), through the
/// door's <see cref="IStreamSink"/>: each complete event is delivered as soon as it arrives (no coalescing); the
/// stream ends exactly once — on <c>[DONE]</c>, also when the upstream forgot it (llama.cpp and Ollama do after an
/// error), or with one error report when an error event, a lost connection or a silence came after the stream
/// started. The client's response starts with the first event the sink writes, so a failure before it is still a
/// plain HTTP error (502, 504, 404 for an unknown model) that SDKs turn into their typed exceptions: the relay then
/// returns it for the door to answer. While the upstream is silent the relay holds no buffer (zero-byte read, as
/// YARP's StreamCopier does). Frame-aware only as far as needed: [DONE], errors, usage. Writes to the client go through
/// <see cref="ClientWrites"/>: under the client's token, with the upstream timer paused while a slow client reads.
/// </summary>
internal static class SseRelay
{
    private const int ReadSize = 16 * 1024;

    /// <summary>One event larger than this is not a chat chunk; the stream is failed rather than memory grown without bound.</summary>
    public const int MaxEventBytes = 8 * 1024 * 1024;

    /// <summary>
    /// Relays the body of <paramref name="call"/>'s 2xx answer to <paramref name="sink"/> and ends the call.
    /// </summary>
    /// <returns>
    /// The failure the door must answer over HTTP (nothing reached the client); null when the stream is over — whole,
    /// failed and reported in-stream by the sink, or abandoned by a client that left.
    /// </returns>
    public static async Task<UpstreamFailure?> RelayAsync(UpstreamCall call, IStreamSink sink)
    {
        var response = call.Response ?? throw new InvalidOperationException("the call has no answer to relay");
        var contentType = response.Content.Headers.ContentType?.MediaType;
        if (contentType is not "text/event-stream")
        {
            // An HTML error page from a reverse proxy or captive portal in front of the model server, or plain text,
            // relayed with a 200 would reach an SSE client as a stream that never yields an event nor [DONE].
            return call.Fail(UpstreamFailure.InvalidResponse(
                $"The upstream model server answered a streaming request with Content-Type {contentType ?? "(none)"} instead of text/event-stream",
                "upstream_invalid_response"));
        }
        var idle = call.Idle;
        byte[]? buffer = null;
        var start = 0;
        var end = 0;
        try
        {
            await using var upstream = await response.Content.ReadAsStreamAsync(idle.Token);
            while (true)
            {
                if (start == end)
                {
                    // Nothing pending: give the buffer back and wait for data without holding one.
                    if (buffer is not null)
                    {
                        BodyBuffers.Return(buffer);
                        buffer = null;
                        start = end = 0;
                    }
                    // A zero-byte read completes when data is available (supported by SocketsHttpHandler's streams).
                    _ = await upstream.ReadAsync(Memory<byte>.Empty, idle.Token);
                    buffer = BodyBuffers.Rent(ReadSize);
                }
                else if (end == buffer!.Length && !MakeRoom(ref buffer, ref start, ref end))
                {
                    return await FailAsync(call, sink, UpstreamFailure.ConnectionLost($"An upstream stream event exceeded {MaxEventBytes} bytes without ending"));
                }

                var read = await upstream.ReadAsync(buffer!.AsMemory(end), idle.Token);
                if (read == 0)
                {
                    break;
                }
                idle.Touch();
                end += read;

                while (SseEvents.TryFindEnd(buffer.AsSpan(start, end - start), out var eventLength, out var separatorLength))
                {
                    var ended = await DeliverAsync(call, sink, buffer.AsMemory(start, eventLength));
                    start += eventLength + separatorLength;
                    if (ended is { } last)
                    {
                        // [DONE] delivered, or an error event that ended the stream: nothing after it counts.
                        return last.Failure;
                    }
                    idle.Touch();
                }
            }

            // The upstream closed cleanly. A last event without its blank line is still an event worth relaying.
            if (buffer is not null && start < end && !SseEvents.IsBlank(buffer.AsSpan(start, end - start))
                && await DeliverAsync(call, sink, buffer.AsMemory(start, end - start)) is { } closing)
            {
                return closing.Failure;
            }
            await ClientWrites.Guard(sink.OnDoneAsync(call.Context.RequestAborted), call);
            return call.Succeed();
        }
        catch (Exception e) when (idle.IsClientGone(e))
        {
            return call.ClientLeft();
        }
        catch (Exception e) when (idle.IsUpstreamFailure(e))
        {
            return await FailAsync(call, sink, idle.TimedOut
                ? UpstreamFailure.Silence(idle)
                : UpstreamFailure.ConnectionLost("The connection to the upstream model server was lost mid-stream"));
        }
        finally
        {
            if (buffer is not null)
            {
                BodyBuffers.Return(buffer);
            }
        }
    }

    /// <summary>Hands one event to the sink. Returns null to go on, or how the stream ended ([DONE] or an error event).</summary>
    private static async ValueTask<StreamEnd?> DeliverAsync(UpstreamCall call, IStreamSink sink, ReadOnlyMemory<byte> sseEvent)
    {
        call.OnFirstByte();
        var kind = SseEvents.Classify(sseEvent.Span, out var range);
        var payload = sseEvent[range];
        switch (kind)
        {
            case SseEventKind.Done:
                await ClientWrites.Guard(sink.OnDoneAsync(call.Context.RequestAborted), call);
                return new StreamEnd(call.Succeed());
            case SseEventKind.Error:
                // A 200 stream whose first event is an error is the upstream's failure: a 5xx, unless it names the model.
                var error = UpstreamErrorParser.ParseStreamEvent(payload.Span, isErrorField: true)! with { Status = 500 };
                return new StreamEnd(await FailAsync(call, sink, UpstreamFailure.FromError(error, retryAfter: null)));
            default:
                if (SseEvents.TryReadUsage(payload.Span, out var prompt, out var completion))
                {
                    call.OnUsage(prompt, completion);
                }
                if (call.WantsResponseModel && SseEvents.TryReadModel(payload.Span, out var model))
                {
                    call.OnResponseModel(model!);
                }
                await ClientWrites.Guard(sink.OnEventAsync(sseEvent, payload, call.Context.RequestAborted), call);
                return null;
        }
    }

    /// <summary>
    /// Before the stream started: the call fails with <paramref name="failure"/>, for the door to answer over HTTP.
    /// After: the sink reports it in-stream and ends the stream (the client has a 200 already, so an error event is the
    /// only honest report), and the door has nothing left to answer.
    /// </summary>
    private static async Task<UpstreamFailure?> FailAsync(UpstreamCall call, IStreamSink sink, UpstreamFailure failure)
    {
        if (!sink.Started)
        {
            return call.Fail(failure);
        }
        call.OnEnd(failure.Kind == UpstreamOutcome.Timeout ? UpstreamOutcome.Timeout : UpstreamOutcome.FailedMidStream);
        await ClientWrites.Guard(sink.OnErrorAsync(call.Redact(failure), call.Context.RequestAborted), call);
        return null;
    }

    /// <summary>The pending partial event fills the buffer: slide it to the front, or grow the buffer (false past the bound).</summary>
    private static bool MakeRoom(ref byte[]? buffer, ref int start, ref int end)
    {
        var current = buffer!;
        var pending = end - start;
        if (start > 0 && pending < current.Length / 2)
        {
            current.AsSpan(start, pending).CopyTo(current);
            start = 0;
            end = pending;
            return true;
        }
        if (current.Length >= MaxEventBytes)
        {
            return false;
        }
        buffer = BodyBuffers.Rent(current.Length * 2);
        current.AsSpan(start, pending).CopyTo(buffer);
        BodyBuffers.Return(current);
        start = 0;
        end = pending;
        return true;
    }

    /// <summary>How a stream ended inside an event: the failure the door must still answer, if any.</summary>
    private readonly record struct StreamEnd(UpstreamFailure? Failure);
}
