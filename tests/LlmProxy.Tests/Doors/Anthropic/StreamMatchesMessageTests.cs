using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using LlmProxy.Doors.Anthropic;
using static LlmProxy.Tests.Doors.Anthropic.AnthropicTestJson;
using static LlmProxy.Tests.Doors.Anthropic.StreamTranslationTests;

namespace LlmProxy.Tests.Doors.Anthropic;

/// <summary>
/// The same upstream answer, once as a chat.completion and once as a stream cut into pieces at arbitrary places, must
/// give the same Anthropic message: the non-streaming translation, and the streamed events put together the way the
/// official SDK does.
/// </summary>
public class StreamMatchesMessageTests
{
    public sealed record Answer(string? Reasoning, string? Text, (string Id, string Name, string Arguments)[] Calls, string Finish, string? StopSequence, int Prompt, int Completion)
    {
        public override string ToString() => $"{Finish}: {Text?.Length ?? 0} chars, {Calls.Length} calls";
    }

    private const string Tricky = "Zwei \"Zeilen\"\nmit Ümlauten, 😀 emoji, tab\t, back\\slash and </script> & more 🎉";

    public static TheoryData<Answer> Answers() => new()
    {
        new Answer(null, "Hello there, how can I help?", [], "stop", null, 12, 8),
        new Answer(null, Tricky, [], "stop", null, 5, 40),
        new Answer(null, "Let me check both.", [
            ("call_0", "get_weather", """{"city": "Paris", "unit": "celsius"}"""),
            ("call_1", "get_weather", """{"city":"Oslo","note":"fjord \"view\" 😀","n":[1,2.5,-3e2,true,null]}"""),
        ], "tool_calls", null, 100, 30),
        new Answer(null, null, [("call_9", "list_files", "{}")], "tool_calls", null, 7, 3),
        new Answer("First, 6 times 7.\nThat is 42.", "The answer is 42.", [], "stop", null, 9, 20),
        new Answer(null, "one two three", [], "stop", "four", 3, 3),
        new Answer(null, "truncated answ", [], "length", null, 3, 16),
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void The_streamed_message_equals_the_non_streamed_one(Answer answer)
    {
        var reply = new AnthropicReplyOptions("msg_same", "claude-x", IncludeThinking: answer.Reasoning is not null, InputTokens: 1);
        var expected = NonStreamed(answer, reply);
        for (var seed = 0; seed < 25; seed++)
        {
            var translator = new AnthropicStreamTranslator(reply);
            var output = new ArrayBufferWriter<byte>();
            foreach (var chunk in Chunks(answer, new Random(seed)))
            {
                translator.OnChunk(Encoding.UTF8.GetBytes(chunk), output);
            }
            translator.OnDone(output);
            var streamed = SdkStyleAccumulator.Accumulate(SseTestEvents.Parse(output));
            Assert.True(JsonNode.DeepEquals(expected, streamed), $"seed {seed}\nexpected {expected.ToJsonString()}\nstreamed {streamed.ToJsonString()}");
        }
    }

    private static JsonNode NonStreamed(Answer answer, AnthropicReplyOptions reply)
    {
        var calls = string.Join(',', answer.Calls.Select(c => $$$"""
            {"id":"{{{c.Id}}}","type":"function","function":{"name":"{{{c.Name}}}","arguments":"{{{PyEscape(c.Arguments)}}}"}}
            """));
        var content = answer.Text is null ? "null" : $"\"{PyEscape(answer.Text)}\"";
        var reasoning = answer.Reasoning is null ? "" : $",\"reasoning_content\":\"{PyEscape(answer.Reasoning)}\"";
        var stop = answer.StopSequence is null ? "null" : $"\"{PyEscape(answer.StopSequence)}\"";
        var completion = $$$"""
            {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"up","choices":[{"index":0,
             "message":{"role":"assistant","content":{{{content}}}{{{reasoning}}},"tool_calls":[{{{calls}}}]},
             "finish_reason":"{{{answer.Finish}}}","stop_reason":{{{stop}}}}],
             "usage":{"prompt_tokens":{{{answer.Prompt}}},"completion_tokens":{{{answer.Completion}}},"total_tokens":0}}
            """;
        var output = new ArrayBufferWriter<byte>();
        Assert.True(AnthropicResponseTranslator.TryTranslate(Encoding.UTF8.GetBytes(completion), reply, output, out _, out var problem), problem);
        return JsonNode.Parse(output.WrittenSpan)!;
    }

    /// <summary>The answer as a vLLM-style stream: pieces of random length (cut anywhere, surrogate pairs included).</summary>
    private static IEnumerable<string> Chunks(Answer answer, Random random)
    {
        yield return Chunk("""{"role":"assistant","content":""}""");
        foreach (var piece in Pieces(answer.Reasoning, random))
        {
            yield return Chunk($$"""{"reasoning_content":"{{PyEscape(piece)}}"}""");
        }
        foreach (var piece in Pieces(answer.Text, random))
        {
            yield return Text(piece);
        }
        for (var i = 0; i < answer.Calls.Length; i++)
        {
            var (id, name, arguments) = answer.Calls[i];
            yield return Tools(Tool(i, id, name, ""));
            foreach (var piece in Pieces(arguments, random))
            {
                yield return Tools(Tool(i, null, null, piece));
            }
        }
        // Some servers put the finish reason on an empty delta, then the usage in a chunk of its own.
        var stop = answer.StopSequence is null ? "" : $",\"stop_reason\":\"{PyEscape(answer.StopSequence)}\"";
        yield return Chunk("{}", $"\"{answer.Finish}\"", stop);
        yield return UsageChunk(answer.Prompt, answer.Completion);
    }

    private static IEnumerable<string> Pieces(string? text, Random random)
    {
        var at = 0;
        while (text is not null && at < text.Length)
        {
            var length = Math.Min(text.Length - at, 1 + random.Next(6));
            yield return text.Substring(at, length);
            at += length;
        }
    }
}
