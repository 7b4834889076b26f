using BenchmarkDotNet.Attributes;
using LlmProxy.Upstreams;

namespace LlmProxy.Benchmarks;

/// <summary>
/// Framing one SSE event (<c>data: </c> + JSON + blank line) and flushing it (docs/api.md, Streaming) — paid once per token
/// on every stream. The response body is a null stream, so only the framing and the pipe's flush are measured.
/// </summary>
[MemoryDiagnoser]
public class SseFramingBenchmarks
{
    private static readonly byte[] Chunk =
        """{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[{"index":0,"delta":{"content":"tok "},"finish_reason":null}]}"""u8.ToArray();

    private readonly DefaultHttpContext _context = new();

    [GlobalSetup]
    public void Setup() => _context.Response.Body = Stream.Null;

    [Benchmark]
    public Task WriteDataEvent() => SseWriter.WriteDataAsync(_context.Response, Chunk, CancellationToken.None);
}
