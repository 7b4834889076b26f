using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace LlmProxy.Upstreams;

/// <summary>
/// Server-sent events to the client (docs/api.md, Streaming; framing per the WHATWG HTML "server-sent events"
/// section): the response headers of a stream, and <c>data: &lt;json&gt;</c> events, each flushed as written.
/// </summary>
internal static class SseWriter
{
    public static readonly byte[] DataPrefix = "data: "u8.ToArray();
    public static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    public static readonly byte[] DoneEvent = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Sets the SSE headers and turns off response buffering; call before the first write.</summary>
    public static void Start(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        // nginx (and proxies that honour it) would otherwise buffer the stream and the client sees nothing until the end.
        response.Headers["X-Accel-Buffering"] = "no";
        response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    /// <summary>Writes <c>data: {json}\n\n</c> and flushes, so the client sees the event now.</summary>
    public static async Task WriteDataAsync(HttpResponse response, ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        var writer = response.BodyWriter;
        writer.Write(DataPrefix);
        writer.Write(json.Span);
        writer.Write(EventEnd);
        await writer.FlushAsync(cancellationToken);
    }
}

/// <summary>
/// The sink of the doors that speak the upstream's own SSE (the OpenAI routes and the classic stream): each event's
/// bytes are copied as they came (no parse, no re-serialisation), one <c>data: [DONE]</c> ends the stream, and a
/// failure after the start is one <c>data: {"error":{...}}</c> event in the OpenAI envelope, then <c>[DONE]</c>
/// (docs/api.md, Streaming). The SSE headers go out with the first event written.
/// </summary>
/// <param name="response">The client's response.</param>
/// <param name="dropUsageOnlyChunk">
/// The proxy asked the upstream for <c>stream_options.include_usage</c> on its own (a token limit needs the usage) and
/// the client did not: the usage-only chunk is then not written, so the client sees the stream it asked for
/// (docs/replicas.md, "Token limits"). Its bytes are skipped, nothing is re-serialised.
/// </param>
internal sealed class SseCopySink(HttpResponse response, bool dropUsageOnlyChunk = false) : IStreamSink
{
    public bool Started => response.HasStarted;

    public async ValueTask OnEventAsync(ReadOnlyMemory<byte> sseEvent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (dropUsageOnlyChunk && SseEvents.IsUsageOnlyChunk(payload.Span))
        {
            return;
        }
        EnsureStarted();
        var writer = response.BodyWriter;
        writer.Write(sseEvent.Span);
        writer.Write(SseWriter.EventEnd);
        await writer.FlushAsync(cancellationToken);
    }

    public async ValueTask OnDoneAsync(CancellationToken cancellationToken)
    {
        EnsureStarted();
        response.BodyWriter.Write(SseWriter.DoneEvent);
        await response.BodyWriter.FlushAsync(cancellationToken);
    }

    public async ValueTask OnErrorAsync(UpstreamFailure failure, CancellationToken cancellationToken)
    {
        var envelope = new OpenAiErrorEnvelope(new OpenAiError(failure.Message, failure.Type ?? "server_error", failure.Param, failure.Code));
        await SseWriter.WriteDataAsync(response, JsonSerializer.SerializeToUtf8Bytes(envelope, UpstreamJsonContext.Default.OpenAiErrorEnvelope), cancellationToken);
        await OnDoneAsync(cancellationToken);
    }

    private void EnsureStarted()
    {
        if (!response.HasStarted)
        {
            SseWriter.Start(response);
        }
    }
}
