using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using LlmProxy.Doors.Anthropic;

namespace LlmProxy.Benchmarks;

/// <summary>
/// The Anthropic door's cost per request: validating a Claude Code-sized request (system blocks, tool definitions, a
/// tool-using conversation; about 30 KB) and writing its OpenAI body.
/// </summary>
[MemoryDiagnoser]
public class AnthropicRequestBenchmarks
{
    private static readonly byte[] Body = BuildBody();
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);

    [Benchmark]
    public int ParseAndWriteOpenAiBody()
    {
        var parsed = AnthropicRequestParser.Parse(Body);
        _output.ResetWrittenCount();
        parsed.Request!.WriteOpenAiBody(_output);
        return _output.WrittenCount;
    }

    private static byte[] BuildBody()
    {
        var prompt = string.Concat(Enumerable.Repeat("You are an interactive CLI tool that helps users with software engineering tasks. ", 40));
        var json = new StringBuilder();
        json.Append("""{"model":"claude-sonnet-4-5","max_tokens":32000,"stream":true,"system":[{"type":"text","text":"You are Claude Code."},{"type":"text","text":""" + "\"" + prompt + "\"" + ""","cache_control":{"type":"ephemeral"}}],"tools":[""");
        for (var t = 0; t < 12; t++)
        {
            json.Append(t == 0 ? "" : ",");
            json.Append("{\"name\":\"tool_").Append(t).Append("\",\"description\":\"").Append(prompt[..300]).Append("\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\",\"description\":\"The absolute path\"},\"limit\":{\"type\":\"number\"}},\"required\":[\"path\"]}}");
        }
        json.Append("],\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"<system-reminder>context</system-reminder>\"},{\"type\":\"text\",\"text\":\"Fix the failing test in src/app.ts\"}]}");
        for (var turn = 0; turn < 15; turn++)
        {
            json.Append(",{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Let me read the file.\"},{\"type\":\"tool_use\",\"id\":\"toolu_").Append(turn)
                .Append("\",\"name\":\"tool_1\",\"input\":{\"path\":\"/repo/src/app.ts\",\"limit\":200}}]}");
            json.Append(",{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_").Append(turn)
                .Append("\",\"content\":\"").Append(string.Concat(Enumerable.Repeat("     1\\texport function add(a: number, b: number) { return a + b; }\\n", 10))).Append("\"}]}");
        }
        json.Append("]}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }
}
