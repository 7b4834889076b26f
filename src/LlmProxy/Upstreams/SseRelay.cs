using System.Buffers;
using LlmProxy.Http.Errors;

namespace LlmProxy.Upstreams;

/// <summary>
/// Relays an upstream <c>text/event-stream</c> to the client event by event (CONTRACT §6): each complete event is
/// written and flushed as soon as it arrives (no coalescing); exactly one <c>data: [DONE]</c> ends the stream, also when
/// the upstream forgot it (llama.cpp and Ollama do after an error); an error event, a lost connection or a silence
/// after the first event became one <c>data: {"error":{...}}</c> event, then <c>[DONE]</c>. The client's response starts
/// with the first upstream event, so a failure before it is still a plain HTTP error (§5: 502, 504, 404 for an unknown
/// model) that SDKs turn into their typed exceptions. While the upstream is silent the relay holds
/// no buffer (zero-byte read, as YARP's StreamCopier does). Frame-aware only as far as needed: [DONE], errors, usage.
/// </summary>
public static class SseRelay
{
    private const int ReadSize = 16 * 1024;

    /// <summary>One event larger than this is not a chat chunk; the stream is failed rather than memory grown without bound.</summary>
    public const int MaxEventBytes = 8 * 1024 * 1024;

    /// <summary>Relays the body of <paramref name="upstream"/> (a 2xx event stream) to <paramref name="response"/>, which must not have started.</summary>
    public static async Task<UpstreamOutcome> RelayAsync(Stream upstream, HttpResponse response, IdleTimeout idle, UpstreamCall call)
    {
        byte[]? buffer = null;
        var start = 0;
        var end = 0;
        try
        {
            while (true)
            {
                if (start == end)
                {
                    // Nothing pending: give the buffer back and wait for data without holding one.
                    if (buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                        start = end = 0;
                    }
                    // A zero-byte read completes when data is available (supported by SocketsHttpHandler's streams).
                    _ = await upstream.ReadAsync(Memory<byte>.Empty, idle.Token);
                    buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
                }
                else if (end == buffer!.Length)
                {
                    buffer = MakeRoom(buffer, ref start, ref end);
                }

                var read = await upstream.ReadAsync(buffer.AsMemory(end), idle.Token);
                if (read == 0)
                {
                    break;
                }
                idle.Touch();
                end += read;

                while (SseEvents.TryFindEnd(buffer.AsSpan(start, end - start), out var eventLength, out var separatorLength))
                {
                    var kind = await RelayEventAsync(buffer.AsMemory(start, eventLength), response, idle, call);
                    start += eventLength + separatorLength;
                    if (kind != SseEventKind.Data)
                    {
                        // [DONE] relayed, or an error event that ended the stream: nothing after it counts.
                        return OutcomeOf(kind, response);
                    }
                    idle.Touch();
                }
            }

            // The upstream closed cleanly. A last event without its blank line is still an event worth relaying.
            if (buffer is not null && start < end && !SseEvents.IsBlank(buffer.AsSpan(start, end - start)))
            {
                var kind = await RelayEventAsync(buffer.AsMemory(start, end - start), response, idle, call);
                if (kind != SseEventKind.Data)
                {
                    return OutcomeOf(kind, response);
                }
            }
            EnsureStarted(response);
            await SseWriter.WriteDoneAsync(response, idle.Token);
            return UpstreamOutcome.Success;
        }
        catch (OperationCanceledException) when (idle.ClientAborted)
        {
            return UpstreamOutcome.ClientAborted;
        }
        catch (OperationCanceledException) when (idle.TimedOut)
        {
            var message = $"The upstream model server was silent for more than {idle.Interval.TotalSeconds:0.###} s (UPSTREAM_TIMEOUT_SECONDS)";
            if (!response.HasStarted)
            {
                await UpstreamErrorResponder.WriteFailureAsync(response.HttpContext, UpstreamOutcome.Timeout, message);
                return UpstreamOutcome.Timeout;
            }
            await WriteErrorAndDoneAsync(response, UpstreamErrorResponder.StreamErrorJson(message, "server_error", null, "upstream_timeout"));
            return UpstreamOutcome.Timeout;
        }
        catch (Exception e) when (e is IOException or HttpRequestException or SseEventTooLargeException)
        {
            var message = e is SseEventTooLargeException
                ? e.Message
                : "The connection to the upstream model server was lost mid-stream";
            if (!response.HasStarted)
            {
                await ErrorWriter.WriteAsync(response.HttpContext, 502, message, openAiCode: "upstream_connection_lost");
                return UpstreamOutcome.FailedMidStream;
            }
            // The connection broke mid-body (chunked framing cut, reset): the client has a 200 already, so the only
            // honest report is an error event (CONTRACT §6).
            await WriteErrorAndDoneAsync(response, UpstreamErrorResponder.StreamErrorJson(message, "server_error", null, "upstream_connection_lost"));
            return UpstreamOutcome.FailedMidStream;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static async Task<SseEventKind> RelayEventAsync(ReadOnlyMemory<byte> sseEvent, HttpResponse response, IdleTimeout idle, UpstreamCall call)
    {
        call.OnFirstByte();
        var kind = SseEvents.Classify(sseEvent.Span, out var payload);
        switch (kind)
        {
            case SseEventKind.Done:
                EnsureStarted(response);
                await SseWriter.WriteDoneAsync(response, idle.Token);
                return kind;
            case SseEventKind.Error:
                var error = UpstreamErrorParser.ParseStreamEvent(sseEvent.Span[payload], isErrorField: true)!;
                if (!response.HasStarted)
                {
                    // Nothing reached the client: an ordinary HTTP error (a 200 stream that fails at once is a 5xx).
                    await UpstreamErrorResponder.WriteAsync(response.HttpContext, error with { Status = 500 }, upstream: null);
                    return kind;
                }
                await WriteErrorAndDoneAsync(response, UpstreamErrorResponder.StreamErrorJson(error.Message, error.Type, error.Param, error.Code));
                return kind;
            default:
                EnsureStarted(response);
                if (SseEvents.TryReadUsage(sseEvent.Span[payload], out var prompt, out var completion))
                {
                    call.OnUsage(prompt, completion);
                }
                var writer = response.BodyWriter;
                writer.Write(sseEvent.Span);
                writer.Write(SseWriter.EventEnd);
                await writer.FlushAsync(idle.Token);
                return kind;
        }
    }

    private static UpstreamOutcome OutcomeOf(SseEventKind kind, HttpResponse response) => kind switch
    {
        SseEventKind.Done => UpstreamOutcome.Success,
        _ when !response.HasStarted => UpstreamOutcome.UpstreamError,
        _ => UpstreamOutcome.FailedMidStream,
    };

    /// <summary>The SSE headers go out with the first event written.</summary>
    private static void EnsureStarted(HttpResponse response)
    {
        if (!response.HasStarted)
        {
            SseWriter.Start(response.HttpContext);
        }
    }

    private static async Task WriteErrorAndDoneAsync(HttpResponse response, byte[] errorJson)
    {
        // The idle token may be the reason we are here; the client is still connected, so write with its own token.
        var token = response.HttpContext.RequestAborted;
        await SseWriter.WriteDataAsync(response, errorJson, token);
        await SseWriter.WriteDoneAsync(response, token);
    }

    /// <summary>The pending partial event fills the buffer: slide it to the front, or grow the buffer (bounded).</summary>
    private static byte[] MakeRoom(byte[] buffer, ref int start, ref int end)
    {
        var pending = end - start;
        if (start > 0 && pending < buffer.Length / 2)
        {
            buffer.AsSpan(start, pending).CopyTo(buffer);
            start = 0;
            end = pending;
            return buffer;
        }
        if (buffer.Length >= MaxEventBytes)
        {
            throw new SseEventTooLargeException(MaxEventBytes);
        }
        var grown = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
        buffer.AsSpan(start, pending).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(buffer);
        start = 0;
        end = pending;
        return grown;
    }
}
