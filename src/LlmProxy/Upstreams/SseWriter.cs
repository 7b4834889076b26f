using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace LlmProxy.Upstreams;

/// <summary>
/// Server-sent events for chat streams (CONTRACT §6; framing per the WHATWG HTML "server-sent events" section):
/// one <c>data: &lt;json&gt;</c> event per chunk, each flushed as written, and one <c>data: [DONE]</c> at the end.
/// </summary>
public static class SseWriter
{
    public static readonly byte[] DataPrefix = "data: "u8.ToArray();
    public static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    public static readonly byte[] DoneEvent = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Sets the SSE headers and turns off response buffering; call before the first write.</summary>
    public static void Start(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        // nginx (and proxies that honour it) would otherwise buffer the stream and the client sees nothing until the end.
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
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

    public static async Task WriteDoneAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        response.BodyWriter.Write(DoneEvent);
        await response.BodyWriter.FlushAsync(cancellationToken);
    }

    /// <summary>For tests and diagnostics: the text of one data event.</summary>
    public static string Frame(string json) => Encoding.UTF8.GetString(DataPrefix) + json + "\n\n";
}
