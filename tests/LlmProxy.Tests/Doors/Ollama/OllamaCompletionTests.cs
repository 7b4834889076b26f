using System.Buffers;
using System.Text;
using System.Text.Json;
using LlmProxy.Doors.Ollama;
using static LlmProxy.Tests.Doors.Ollama.OllamaTestKit;

namespace LlmProxy.Tests.Doors.Ollama;

public class OllamaCompletionTests
{
    private static readonly DateTimeOffset Now = new(2025, 5, 1, 12, 0, 0, 123, TimeSpan.Zero);
    private static readonly OllamaTimings Timings = new(TotalNs: 900_000_000, LoadNs: 0, PromptEvalNs: 100_000_000, EvalNs: 800_000_000);

    private static (OllamaAnswer Answer, JsonElement Body) Chat(string completion)
    {
        var output = new ArrayBufferWriter<byte>();
        var answer = OllamaCompletionTranslator.WriteChat(Encoding.UTF8.GetBytes(completion), "llama3.2", Now, Timings, output);
        return (answer, answer.Translated ? Parse(output.WrittenSpan) : default);
    }

    [Fact]
    public void A_chat_completion_becomes_ollamas_final_chat_object_with_counts_and_durations()
    {
        var (answer, body) = Chat("""
            {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"Qwen/Qwen2.5-7B","choices":[{"index":0,
             "message":{"role":"assistant","content":"Hello \"you\"\n"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":26,"completion_tokens":12,"total_tokens":38}}
            """);

        Assert.Equal(new OllamaAnswer(true, 26, 12), answer);
        Assert.Equal("llama3.2", body.Text("model"));
        Assert.Equal(Now, body.GetProperty("created_at").GetDateTimeOffset());
        Assert.Equal("2025-05-01T12:00:00.1230000Z", body.Text("created_at"));
        var message = body.GetProperty("message");
        Assert.Equal(("assistant", "Hello \"you\"\n"), (message.Text("role"), message.Text("content")));
        Assert.False(message.Has("tool_calls"));
        Assert.True(body.GetProperty("done").GetBoolean());
        Assert.Equal("stop", body.Text("done_reason"));
        Assert.Equal(26, body.GetProperty("prompt_eval_count").GetInt32());
        Assert.Equal(12, body.GetProperty("eval_count").GetInt32());
        Assert.Equal(900_000_000, body.GetProperty("total_duration").GetInt64());
        Assert.Equal(0, body.GetProperty("load_duration").GetInt64());
        Assert.Equal(100_000_000, body.GetProperty("prompt_eval_duration").GetInt64());
        Assert.Equal(800_000_000, body.GetProperty("eval_duration").GetInt64());
    }

    [Fact]
    public void Tool_calls_come_back_with_arguments_as_objects()
    {
        var (_, body) = Chat("""
            {"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[
              {"id":"call_9","type":"function","function":{"name":"get_weather","arguments":"{\n  \"city\": \"Paris\"\n}"}},
              {"id":"call_10","type":"function","function":{"name":"get_time","arguments":""}},
              {"id":"call_11","type":"function","function":{"name":"broken","arguments":"{\"a\":"}}]},
              "finish_reason":"tool_calls"}]}
            """);

        var message = body.GetProperty("message");
        Assert.Equal("", message.Text("content"));
        var calls = message.GetProperty("tool_calls");
        Assert.Equal(3, calls.GetArrayLength());
        Assert.Equal("call_9", calls[0].Text("id"));
        Assert.Equal(0, calls[0].GetProperty("function").GetProperty("index").GetInt32());
        Assert.Equal("get_weather", calls[0].GetProperty("function").Text("name"));
        Assert.Equal("""{"city":"Paris"}""", calls[0].GetProperty("function").GetProperty("arguments").GetRawText());
        Assert.Equal("{}", calls[1].GetProperty("function").GetProperty("arguments").GetRawText());
        Assert.Equal("{}", calls[2].GetProperty("function").GetProperty("arguments").GetRawText());
        Assert.Equal("stop", body.Text("done_reason"));
    }

    [Theory]
    [InlineData("reasoning_content")]
    [InlineData("reasoning")]
    public void Reasoning_becomes_thinking(string field)
    {
        var (_, body) = Chat($$"""{"choices":[{"message":{"content":"42","{{field}}":"6 times 7"},"finish_reason":"stop"}]}""");

        Assert.Equal("6 times 7", body.GetProperty("message").Text("thinking"));
    }

    [Fact]
    public void Length_is_the_only_finish_reason_kept_and_missing_usage_leaves_the_counts_out()
    {
        var (answer, body) = Chat("""{"choices":[{"message":{"content":"abc"},"finish_reason":"length"}]}""");

        Assert.Equal(new OllamaAnswer(true, null, null), answer);
        Assert.Equal("length", body.Text("done_reason"));
        Assert.False(body.Has("prompt_eval_count"));
        Assert.False(body.Has("eval_count"));
        Assert.True(body.Has("eval_duration"));
    }

    [Fact]
    public void A_generate_answer_has_response_instead_of_message()
    {
        var output = new ArrayBufferWriter<byte>();
        var answer = OllamaCompletionTranslator.WriteGenerate(
            """{"choices":[{"message":{"content":"blue","reasoning_content":"hmm"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"""u8,
            "m", Now, Timings, output);
        var body = Parse(output.WrittenSpan);

        Assert.True(answer.Translated);
        Assert.Equal("blue", body.Text("response"));
        Assert.Equal("hmm", body.Text("thinking"));
        Assert.False(body.Has("message"));
        Assert.True(body.GetProperty("done").GetBoolean());
        Assert.Equal(1, body.GetProperty("eval_count").GetInt32());
    }

    [Theory]
    [InlineData("""{"object":"list","data":[]}""")]
    [InlineData("""{"choices":"nope"}""")]
    [InlineData("""not json""")]
    [InlineData("""[]""")]
    [InlineData("")]
    public void An_answer_that_is_not_a_chat_completion_writes_nothing(string completion)
    {
        var output = new ArrayBufferWriter<byte>();

        var answer = OllamaCompletionTranslator.WriteChat(Encoding.UTF8.GetBytes(completion), "m", Now, Timings, output);

        Assert.False(answer.Translated);
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void Invalid_utf8_in_upstream_content_is_replaced_not_passed_on()
    {
        var output = new ArrayBufferWriter<byte>();
        byte[] completion = [.. """{"choices":[{"message":{"content":"a"""u8, 0xFF, .. "b\"}}]}"u8];

        OllamaCompletionTranslator.WriteChat(completion, "m", Now, Timings, output);

        Assert.Equal("a\uFFFDb", Parse(output.WrittenSpan).GetProperty("message").Text("content"));
    }
}
