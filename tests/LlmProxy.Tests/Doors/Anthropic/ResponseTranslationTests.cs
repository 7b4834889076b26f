using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using LlmProxy.Doors.Anthropic;
using static LlmProxy.Tests.Doors.Anthropic.AnthropicTestJson;

namespace LlmProxy.Tests.Doors.Anthropic;

public class ResponseTranslationTests
{
    private static readonly AnthropicReplyOptions Reply = new("msg_req-1", "claude-sonnet-4-5", InputTokens: 11);

    private static JsonNode Translate(string completion, AnthropicReplyOptions? reply = null) => Translate(completion, reply, out _);

    private static JsonNode Translate(string completion, AnthropicReplyOptions? reply, out TokenUsage usage)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(AnthropicResponseTranslator.TryTranslate(Encoding.UTF8.GetBytes(completion), reply ?? Reply, output, out usage, out var problem), problem);
        return JsonNode.Parse(output.WrittenSpan)!;
    }

    private static string Completion(string message, string finish, string usage = """{"prompt_tokens":21,"completion_tokens":7,"total_tokens":28}""", string extra = "") =>
        $$"""{"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"qwen3:8b","choices":[{"index":0,"message":{{message}},"logprobs":null,"finish_reason":{{finish}}{{extra}}}],"usage":{{usage}}}""";

    [Fact]
    public void A_text_answer_becomes_a_message_with_one_text_block_and_usage()
    {
        var message = Translate(Completion("""{"role":"assistant","content":"Hello \"there\" 😀"}""", "\"stop\""), null, out var usage);
        Equal("""
            {"id":"msg_req-1","type":"message","role":"assistant","model":"claude-sonnet-4-5",
             "content":[{"type":"text","text":"Hello \"there\" 😀"}],
             "stop_reason":"end_turn","stop_sequence":null,
             "usage":{"input_tokens":21,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":7}}
            """, message);
        Assert.Equal(new TokenUsage(21, 7), usage);
    }

    [Theory]
    [InlineData("\"stop\"", "end_turn")]
    [InlineData("\"length\"", "max_tokens")]
    [InlineData("\"content_filter\"", "refusal")]
    [InlineData("\"tool_calls\"", "tool_use")]
    [InlineData("\"eos\"", "end_turn")]
    [InlineData("null", "end_turn")]
    public void Finish_reasons_map_to_stop_reasons(string finish, string expected) =>
        Assert.Equal(expected, (string)Translate(Completion("""{"role":"assistant","content":"x"}""", finish))["stop_reason"]!);

    [Fact]
    public void Tool_calls_become_tool_use_blocks_with_the_parsed_input()
    {
        var message = Translate(Completion("""
            {"role":"assistant","content":"Let me check.","tool_calls":[
              {"id":"call_a1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\", \"days\": [1, 2]}"}},
              {"id":"call_b2","type":"function","function":{"name":"get_time","arguments":"{\"tz\":\"Europe/Oslo\",\"fmt\":\"caf\\u00e9\"}"}}]}
            """, "\"tool_calls\""));
        Equal("""
            [{"type":"text","text":"Let me check."},
             {"type":"tool_use","id":"call_a1","name":"get_weather","input":{"city":"Paris","days":[1,2]}},
             {"type":"tool_use","id":"call_b2","name":"get_time","input":{"tz":"Europe/Oslo","fmt":"café"}}]
            """, message["content"]);
        Assert.Equal("tool_use", (string)message["stop_reason"]!);
    }

    [Fact]
    public void A_tool_call_that_finished_with_stop_still_stops_for_tool_use()
    {
        // Older Ollama answers tool calls with finish_reason "stop"; Anthropic clients only run tools on "tool_use".
        var message = Translate(Completion("""{"role":"assistant","content":"","tool_calls":[{"id":"c","function":{"name":"ls","arguments":"{}"}}]}""", "\"stop\""));
        Assert.Equal("tool_use", (string)message["stop_reason"]!);
        Equal("""[{"type":"tool_use","id":"c","name":"ls","input":{}}]""", message["content"]);
    }

    [Fact]
    public void A_tool_call_without_an_id_gets_a_generated_toolu_id()
    {
        var message = Translate(Completion("""{"role":"assistant","content":null,"tool_calls":[{"type":"function","function":{"name":"ls","arguments":"{}"}},{"id":"","function":{"name":"pwd","arguments":"{}"}}]}""", "\"tool_calls\""));
        var first = (string)message["content"]![0]!["id"]!;
        var second = (string)message["content"]![1]!["id"]!;
        Assert.Matches("^toolu_[0-9A-Za-z]{24}$", first);
        Assert.Matches("^toolu_[0-9A-Za-z]{24}$", second);
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData("\"\"", "{}")]
    [InlineData("\"  \"", "{}")]
    [InlineData("\"{\\\"a\\\": \"", """{"_raw":"{\"a\": "}""")]
    [InlineData("\"[1,2]\"", """{"_raw":"[1,2]"}""")]
    [InlineData("\"{} {}\"", """{"_raw":"{} {}"}""")]
    [InlineData("\"{\\\"s\\\":\\\"\\\\ud800\\\"}\"", """{"s":"\ud800"}""")]
    [InlineData("{\"already\":\"an object\"}", """{"already":"an object"}""")]
    [InlineData("null", "{}")]
    public void Tool_arguments_that_are_not_one_JSON_object_are_kept_visibly(string arguments, string expectedInput)
    {
        var completion = Completion($$$"""{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":{{{arguments}}}}}]}""", "\"tool_calls\"");
        var output = new ArrayBufferWriter<byte>();
        Assert.True(AnthropicResponseTranslator.TryTranslate(Encoding.UTF8.GetBytes(completion), Reply, output, out _, out _));
        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        // The input is the model's JSON as it wrote it; even a lone surrogate escape is passed on (JavaScript takes it).
        if (expectedInput.Contains("\\ud800", StringComparison.Ordinal))
        {
            Assert.Contains("\"input\":" + expectedInput + "}", text, StringComparison.Ordinal);
            return;
        }
        Equal(expectedInput, JsonNode.Parse(text)!["content"]![0]!["input"]);
    }

    [Fact]
    public void A_stop_sequence_named_by_vLLM_sets_stop_sequence()
    {
        var message = Translate(Completion("""{"role":"assistant","content":"one two"}""", "\"stop\"", extra: ""","stop_reason":"\n\nHuman:" """));
        Assert.Equal("stop_sequence", (string)message["stop_reason"]!);
        Assert.Equal("\n\nHuman:", (string)message["stop_sequence"]!);
        var eos = Translate(Completion("""{"role":"assistant","content":"x"}""", "\"stop\"", extra: ""","stop_reason":128001"""));
        Assert.Equal("end_turn", (string)eos["stop_reason"]!);
        Assert.Null(eos["stop_sequence"]);
    }

    [Fact]
    public void Reasoning_is_dropped_unless_the_client_enabled_thinking()
    {
        const string answer = """{"role":"assistant","content":"42","reasoning_content":"Let me think: 6*7."}""";
        Equal("""[{"type":"text","text":"42"}]""", Translate(Completion(answer, "\"stop\""))["content"]);
        var thinking = Translate(Completion(answer, "\"stop\""), Reply with { IncludeThinking = true });
        Equal("""[{"type":"thinking","thinking":"Let me think: 6*7.","signature":""},{"type":"text","text":"42"}]""", thinking["content"]);
        var newer = Translate(Completion("""{"role":"assistant","content":"42","reasoning":"hmm"}""", "\"stop\""), Reply with { IncludeThinking = true });
        Assert.Equal("hmm", (string)newer["content"]![0]!["thinking"]!);
    }

    [Fact]
    public void Missing_usage_reports_the_estimate_for_input_and_zero_output()
    {
        var message = Translate(Completion("""{"role":"assistant","content":"x"}""", "\"stop\"", usage: "null"), null, out var usage);
        Equal("""{"input_tokens":11,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}""", message["usage"]);
        Assert.Equal(new TokenUsage(null, null), usage);
    }

    [Fact]
    public void An_empty_answer_is_a_message_with_no_content()
    {
        var message = Translate(Completion("""{"role":"assistant","content":""}""", "\"stop\""));
        Equal("[]", message["content"]);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[]", "not valid JSON")]
    [InlineData("""{"id":"x","choices":[]}""", "has no choices")]
    [InlineData("""{"object":"error","message":"model \"x\" not found","code":404}""", "answered with an error: model \"x\" not found")]
    [InlineData("""{"error":{"message":"out of memory","type":"server_error"}}""", "answered with an error: out of memory")]
    [InlineData("""{"error":"boom"}""", "answered with an error: boom")]
    public void A_body_that_is_not_a_completion_is_a_problem_not_a_message(string body, string expected)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.False(AnthropicResponseTranslator.TryTranslate(Encoding.UTF8.GetBytes(body), Reply, output, out _, out var problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void Mutated_completions_never_throw_and_accepted_ones_are_valid_JSON()
    {
        var seed = Completion("""
            {"role":"assistant","content":"Hi \u00e9 \"q\"","reasoning_content":"r","tool_calls":[{"id":"c","function":{"name":"f","arguments":"{\"a\":[1,{\"b\":\"\\u00e9\"}]}"}}]}
            """, "\"tool_calls\"", extra: ""","stop_reason":"x" """);
        byte[] alphabet = "{}[]\":,\\u0123456789abcdefDdXx-+.e \t"u8.ToArray();
        var random = new Random(7);
        for (var i = 0; i < 3000; i++)
        {
            var body = Encoding.UTF8.GetBytes(seed).ToList();
            for (var m = 0; m < 1 + random.Next(3); m++)
            {
                var at = random.Next(body.Count);
                if (random.Next(3) == 0)
                {
                    body.RemoveRange(at, Math.Min(body.Count - at, 1 + random.Next(6)));
                }
                else
                {
                    body[at] = alphabet[random.Next(alphabet.Length)];
                }
            }
            var output = new ArrayBufferWriter<byte>();
            var reply = Reply with { IncludeThinking = random.Next(2) == 0 };
            if (AnthropicResponseTranslator.TryTranslate(body.ToArray(), reply, output, out _, out _))
            {
                // Valid JSON structure; string contents are the upstream's own (possibly odd) escapes.
                var reader = new System.Text.Json.Utf8JsonReader(output.WrittenSpan);
                while (reader.Read())
                {
                }
            }
        }
    }
}
