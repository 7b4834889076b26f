using LlmProxy.Http;
using LlmProxy.Http.Body;

namespace LlmProxy.Upstreams;

/// <summary>
/// The non-streaming answers of an upstream call (docs/api.md, OpenAI routes and Classic routes): passed through to
/// the client as they are, or read whole for a door that must look at them. Both end the call; both return the
/// failure the door must answer over HTTP when nothing reached the client (null otherwise).
/// </summary>
internal static class UpstreamAnswer
{
    /// <summary>
    /// An answer up to this size is held whole (to send a Content-Length and read its usage); a larger one (big
    /// embedding batches) is streamed through without being looked at.
    /// </summary>
    public const int BufferedPassThroughBytes = 1024 * 1024;

    private const int CopyBufferBytes = 64 * 1024;

    /// <summary>A 2xx answer to the client as the upstream sent it: status, Content-Type and body bytes.</summary>
    public static async Task<UpstreamFailure?> PassThroughAsync(UpstreamCall call)
    {
        var response = call.Response ?? throw new InvalidOperationException("the call has no answer to pass through");
        var client = call.Context.Response;
        var idle = call.Idle;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(idle.Token);
            using var head = await PooledBody.ReadAsync(stream, BufferedPassThroughBytes, idle.Token, onRead: idle.Touch);
            var whole = head.Length <= BufferedPassThroughBytes;
            client.StatusCode = call.Status;
            client.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
            if (whole)
            {
                client.ContentLength = head.Length;
                if (SseEvents.TryReadUsage(head.Span, out var prompt, out var completion))
                {
                    call.OnUsage(prompt, completion);
                }
                if (call.WantsResponseModel && SseEvents.TryReadModel(head.Span, out var model))
                {
                    call.OnResponseModel(model!);
                }
            }
            // The client's token, not the upstream timer's: a slow reader is not a silent upstream (ClientWrites).
            await ClientWrites.Guard(client.Body.WriteAsync(head.Memory, call.Context.RequestAborted), call);
            if (!whole)
            {
                await CopyRestAsync(stream, client.Body, call);
            }
            return call.Succeed();
        }
        catch (Exception e) when (idle.IsClientGone(e))
        {
            return call.ClientLeft();
        }
        catch (Exception e) when (idle.IsUpstreamFailure(e))
        {
            if (!client.HasStarted)
            {
                return call.Fail(BodyFailure(idle));
            }
            // Part of the body is out: cutting the connection is the only signal a non-streaming client understands.
            RequestOutcome.Of(call.Context).CutConnection(call.Context);
            call.OnEnd(idle.TimedOut ? UpstreamOutcome.Timeout : UpstreamOutcome.FailedMidStream);
            return null;
        }
    }

    /// <summary>
    /// The whole 2xx answer, for a door that must read it (the classic route normalises it), at most
    /// <paramref name="limit"/> bytes. An error object in a 200 (some servers answer so) is the upstream's failure. On
    /// success the call is not ended: the door ends it once it has judged the body.
    /// </summary>
    public static async Task<(PooledBody? Body, UpstreamFailure? Failure)> ReadWholeAsync(UpstreamCall call, int limit)
    {
        var response = call.Response ?? throw new InvalidOperationException("the call has no answer to read");
        var idle = call.Idle;
        PooledBody? body = null;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(idle.Token);
            body = await PooledBody.ReadAsync(stream, limit, idle.Token, onRead: idle.Touch);
        }
        catch (Exception e) when (idle.IsClientGone(e))
        {
            return (null, call.Fail(UpstreamFailure.ClientGone));
        }
        catch (Exception e) when (idle.IsUpstreamFailure(e))
        {
            return (null, call.Fail(BodyFailure(idle)));
        }
        if (body.Length > limit)
        {
            body.Dispose();
            return (null, call.Fail(UpstreamFailure.ConnectionLost($"The upstream answer is larger than {limit} bytes", code: null)));
        }
        if (SseEvents.IsErrorObject(body.Span))
        {
            // Still the upstream's failure: treated as a 5xx (→ 502), or 404 when it says the model is unknown.
            var error = UpstreamErrorParser.Parse(500, body.Span);
            body.Dispose();
            return (null, call.Fail(UpstreamFailure.FromError(error, retryAfter: null)));
        }
        if (call.WantsResponseModel && SseEvents.TryReadModel(body.Span, out var model))
        {
            call.OnResponseModel(model!);
        }
        return (body, null);
    }

    /// <summary>The body failed before anything reached the client: silence → 504, anything else → 502.</summary>
    private static UpstreamFailure BodyFailure(IdleTimeout idle) => idle.TimedOut
        ? UpstreamFailure.Silence(idle)
        : UpstreamFailure.ConnectionLost("The connection to the upstream model server was lost before its answer was complete", code: null);

    private static async Task CopyRestAsync(Stream source, Stream destination, UpstreamCall call)
    {
        var idle = call.Idle;
        var buffer = BodyBuffers.Rent(CopyBufferBytes);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, idle.Token)) > 0)
            {
                idle.Touch();
                await ClientWrites.Guard(destination.WriteAsync(buffer.AsMemory(0, read), call.Context.RequestAborted), call);
            }
        }
        finally
        {
            BodyBuffers.Return(buffer);
        }
    }
}
