using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using LlmProxy.Doors.Anthropic;

namespace LlmProxy.Benchmarks;

/// <summary>
/// The Anthropic door's cost per streamed event (docs/anthropic.md, "Cost"): translating one upstream chunk into
/// Anthropic events versus what the /v1 relay does with the same event (copy it out with its framing). Both write into
/// a reused buffer, so neither includes the flush to the socket, which is the same for both routes.
/// </summary>
[MemoryDiagnoser]
public class AnthropicStreamBenchmarks
{
    private static readonly byte[] TextChunk =
        """{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[{"index":0,"delta":{"content":"tok "},"finish_reason":null}]}"""u8.ToArray();

    private static readonly byte[] ToolArgumentsChunk =
        """{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"path\": \"/src/ma"}}]},"finish_reason":null}]}"""u8.ToArray();

    private static readonly byte[] FirstToolChunk =
        """{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"read_file","arguments":""}}]},"finish_reason":null}]}"""u8.ToArray();

    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private AnthropicStreamTranslator _text = null!;
    private AnthropicStreamTranslator _tool = null!;

    [GlobalSetup]
    public void Setup()
    {
        // Steady state: the message and its block are open, so each chunk is one content_block_delta.
        var reply = new AnthropicReplyOptions("msg_bench", "claude-sonnet-4-5", InputTokens: 100);
        _text = new AnthropicStreamTranslator(reply);
        _text.OnChunk(TextChunk, _output);
        _tool = new AnthropicStreamTranslator(reply);
        _tool.OnChunk(FirstToolChunk, _output);
        _output.ResetWrittenCount();
    }

    [Benchmark(Baseline = true)]
    public int CopyRawEvent()
    {
        _output.ResetWrittenCount();
        _output.Write("data: "u8);
        _output.Write(TextChunk);
        _output.Write("\n\n"u8);
        return _output.WrittenCount;
    }

    /// <summary>The floor of any translation: one bare Utf8JsonReader pass over the chunk, nothing looked at or written.</summary>
    [Benchmark]
    public int ReadChunkOnly()
    {
        var reader = new Utf8JsonReader(TextChunk);
        var tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }
        return tokens;
    }

    [Benchmark]
    public bool TranslateTextChunk()
    {
        _output.ResetWrittenCount();
        return _text.OnChunk(TextChunk, _output);
    }

    [Benchmark]
    public bool TranslateToolArgumentsChunk()
    {
        _output.ResetWrittenCount();
        return _tool.OnChunk(ToolArgumentsChunk, _output);
    }
}
