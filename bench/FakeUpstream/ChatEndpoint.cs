using System.Buffers;
using Microsoft.AspNetCore.Http.Features;

namespace LlmProxy.Bench.FakeUpstream;

/// <summary>
/// <c>POST /v1/chat/completions</c>: drains the body, answers a static completion, or streams when the body says
/// <c>"stream": true</c>. The role chunk goes out at once (time to first event is the proxy's, not the fake's), then
/// each content chunk after the interval, then a finish chunk with usage and <c>[DONE]</c>.
/// </summary>
public static class ChatEndpoint
{
    public static async Task HandleAsync(HttpContext context, StreamShape defaults)
    {
        var stream = await ReadStreamFlagAsync(context.Request.BodyReader, context.RequestAborted);
        if (!stream)
        {
            await WriteStaticAsync(context, FakeBodies.Completion);
            return;
        }
        var shape = defaults.For(context.Request);
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var aborted = context.RequestAborted;
        await response.BodyWriter.WriteAsync(FakeBodies.RoleChunk, aborted);
        for (var i = 0; i < shape.Chunks; i++)
        {
            if (shape.IntervalMs > 0)
            {
                await Task.Delay(shape.IntervalMs, aborted);
            }
            await response.BodyWriter.WriteAsync(FakeBodies.ContentChunk, aborted);
        }
        await response.BodyWriter.WriteAsync(FakeBodies.FinishChunk, aborted);
        await response.BodyWriter.WriteAsync(FakeBodies.Done, aborted);
    }

    public static Task WriteStaticAsync(HttpContext context, byte[] body)
    {
        var response = context.Response;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, 0, body.Length, context.RequestAborted);
    }

    /// <summary>
    /// Reads the whole body and finds <c>"stream"</c> followed by <c>:</c> and <c>true</c> (whitespace allowed). Good
    /// enough for the bodies the benchmark sends; a real server parses JSON.
    /// </summary>
    private static async Task<bool> ReadStreamFlagAsync(System.IO.Pipelines.PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            if (result.IsCompleted)
            {
                var found = HasStreamTrue(result.Buffer);
                reader.AdvanceTo(result.Buffer.End);
                return found;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static bool HasStreamTrue(ReadOnlySequence<byte> buffer)
    {
        var bytes = buffer.IsSingleSegment ? buffer.FirstSpan : buffer.ToArray();
        var at = bytes.IndexOf("\"stream\""u8);
        if (at < 0)
        {
            return false;
        }
        var rest = bytes[(at + 8)..].TrimStart(" \t\r\n"u8);
        return rest.Length > 0 && rest[0] == (byte)':' && rest[1..].TrimStart(" \t\r\n"u8).StartsWith("true"u8);
    }
}
