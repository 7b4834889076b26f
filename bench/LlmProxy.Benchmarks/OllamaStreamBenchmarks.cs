using System.Buffers;
using BenchmarkDotNet.Attributes;
using LlmProxy.Doors.Ollama;

namespace LlmProxy.Benchmarks;

/// <summary>
/// The Ollama door's stream translator per upstream event: an OpenAI <c>chat.completion.chunk</c> in, an NDJSON line
/// out (docs/ollama.md, "Streaming"). Paid once per token on every /api/chat and /api/generate stream, on top of what
/// a /v1 stream pays for framing (<see cref="SseFramingBenchmarks"/>; run both in one command to compare).
/// </summary>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes it.")]
public class OllamaStreamBenchmarks
{
    private static readonly byte[] ContentChunk =
        """{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[{"index":0,"delta":{"content":"tok "},"finish_reason":null}]}"""u8.ToArray();

    private static readonly byte[] RoleChunk =
        """{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"""u8.ToArray();

    private static readonly byte[] FinishChunk =
        """{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"""u8.ToArray();

    private static readonly byte[] UsageChunk =
        """{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":10,"total_tokens":22}}"""u8.ToArray();

    private static readonly byte[] ToolHeadChunk =
        """{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}"""u8.ToArray();

    private static readonly byte[][] ToolArgumentChunks =
    [
        .. new[] { "{\\\"", "city", "\\\": ", "\\\"Par", "is\\\", ", "\\\"unit", "\\\": \\\"c", "elsius\\\"}" }.Select(piece =>
            System.Text.Encoding.UTF8.GetBytes($$$"""{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{{{piece}}}"}}]},"finish_reason":null}]}""")),
    ];

    private static readonly byte[] ToolFinishChunk =
        """{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"""u8.ToArray();

    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private OllamaStreamTranslator _stream = null!;

    [GlobalSetup]
    public void Setup() => _stream = new OllamaStreamTranslator(chat: true, "bench-model", TimeProvider.System.GetTimestamp());

    [GlobalCleanup]
    public void Cleanup() => _stream.Dispose();

    /// <summary>One content event → one NDJSON line: the steady state of every stream.</summary>
    [Benchmark]
    public int ContentEvent()
    {
        _output.ResetWrittenCount();
        _stream.OnChunk(ContentChunk, _output);
        return _output.WrittenCount;
    }

    /// <summary>A whole 14-event answer (role, 10 tokens, finish, usage, end) from a new translator, per event.</summary>
    [Benchmark(OperationsPerInvoke = 14)]
    public int TextStreamPerEvent()
    {
        _output.ResetWrittenCount();
        using var stream = new OllamaStreamTranslator(chat: true, "bench-model", TimeProvider.System.GetTimestamp());
        stream.OnChunk(RoleChunk, _output);
        for (var i = 0; i < 10; i++)
        {
            stream.OnChunk(ContentChunk, _output);
        }
        stream.OnChunk(FinishChunk, _output);
        stream.OnChunk(UsageChunk, _output);
        stream.OnDone(_output);
        return _output.WrittenCount;
    }

    /// <summary>A streamed tool call (head, 8 argument pieces, finish, end) assembled and written whole, per event.</summary>
    [Benchmark(OperationsPerInvoke = 11)]
    public int ToolCallStreamPerEvent()
    {
        _output.ResetWrittenCount();
        using var stream = new OllamaStreamTranslator(chat: true, "bench-model", TimeProvider.System.GetTimestamp());
        stream.OnChunk(ToolHeadChunk, _output);
        foreach (var chunk in ToolArgumentChunks)
        {
            stream.OnChunk(chunk, _output);
        }
        stream.OnChunk(ToolFinishChunk, _output);
        stream.OnDone(_output);
        return _output.WrittenCount;
    }
}
