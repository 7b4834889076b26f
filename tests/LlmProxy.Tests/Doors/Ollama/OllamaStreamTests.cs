using System.Buffers;
using System.Text;
using System.Text.Json;
using LlmProxy.Doors.Ollama;
using Microsoft.Extensions.Time.Testing;
using static LlmProxy.Tests.Doors.Ollama.OllamaTestKit;

namespace LlmProxy.Tests.Doors.Ollama;

public class OllamaStreamTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 5, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ArrayBufferWriter<byte> _output = new();

    private OllamaStreamTranslator Start(bool chat = true) => new(chat, "llama3.2", _time.GetTimestamp(), _time);

    private static string Content(string text) =>
        $$"""{"id":"c","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"{{JsonEncodedText.Encode(text)}}"},"finish_reason":null}]}""";

    private void Feed(OllamaStreamTranslator stream, params string[] chunks)
    {
        foreach (var chunk in chunks)
        {
            stream.OnChunk(Encoding.UTF8.GetBytes(chunk), _output);
        }
    }

    [Fact]
    public void Each_content_delta_is_one_line_at_once_and_the_last_line_carries_done_reason_and_usage()
    {
        using var stream = Start();

        Feed(stream, """{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""");
        Assert.Equal(0, _output.WrittenCount);
        Feed(stream, Content("Hel"));
        Assert.Single(Lines(_output));
        Feed(stream, Content("lo \"w\"\n"), """{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""");
        Assert.Equal(2, Lines(_output).Count);
        Feed(stream, """{"choices":[],"usage":{"prompt_tokens":26,"completion_tokens":3,"total_tokens":29}}""");
        stream.OnDone(_output);

        var lines = Lines(_output);
        Assert.Equal(3, lines.Count);
        Assert.All(lines, line => Assert.Equal("llama3.2", line.Text("model")));
        Assert.All(lines, line => Assert.Equal(_time.GetUtcNow(), line.GetProperty("created_at").GetDateTimeOffset()));
        Assert.Equal(["Hel", "lo \"w\"\n", ""], lines.Select(l => l.GetProperty("message").Text("content")));
        Assert.All(lines, line => Assert.Equal("assistant", line.GetProperty("message").Text("role")));
        Assert.Equal([false, false, true], lines.Select(l => l.GetProperty("done").GetBoolean()));
        var last = lines[^1];
        Assert.Equal("stop", last.Text("done_reason"));
        Assert.Equal(26, last.GetProperty("prompt_eval_count").GetInt32());
        Assert.Equal(3, last.GetProperty("eval_count").GetInt32());
        Assert.Equal((26L, 3L), (stream.PromptTokens, stream.CompletionTokens));
        Assert.True(stream.IsFinished);
    }

    [Fact]
    public void Durations_are_measured_from_the_request_to_the_first_token_and_on_to_the_end()
    {
        using var stream = Start();
        _time.Advance(TimeSpan.FromMilliseconds(120));
        Feed(stream, Content("a"));
        _time.Advance(TimeSpan.FromMilliseconds(380));
        Feed(stream, Content("b"));
        stream.OnDone(_output);

        var last = Lines(_output)[^1];
        Assert.Equal(500_000_000, last.GetProperty("total_duration").GetInt64());
        Assert.Equal(0, last.GetProperty("load_duration").GetInt64());
        Assert.Equal(120_000_000, last.GetProperty("prompt_eval_duration").GetInt64());
        Assert.Equal(380_000_000, last.GetProperty("eval_duration").GetInt64());
    }

    [Fact]
    public void Several_tool_calls_in_pieces_are_sent_whole_in_one_line_when_the_upstream_finishes()
    {
        using var stream = Start();
        Feed(stream,
            """{"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}},{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\"tz\":"}}]}}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]}}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"\"UTC\"}"}},{"index":0,"function":{"arguments":"ty\": \"Par"}}]}}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"is \\u00e9\"}"}}]}}]}""");
        Assert.Equal(0, _output.WrittenCount);

        Feed(stream, """{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}""");

        var line = Assert.Single(Lines(_output));
        Assert.False(line.GetProperty("done").GetBoolean());
        var calls = line.GetProperty("message").GetProperty("tool_calls");
        Assert.Equal(2, calls.GetArrayLength());
        Assert.Equal(("call_a", "get_weather"), (calls[0].Text("id"), calls[0].GetProperty("function").Text("name")));
        Assert.Equal("Paris é", calls[0].GetProperty("function").GetProperty("arguments").Text("city"));
        Assert.Equal(("call_b", "get_time"), (calls[1].Text("id"), calls[1].GetProperty("function").Text("name")));
        Assert.Equal("""{"tz":"UTC"}""", calls[1].GetProperty("function").GetProperty("arguments").GetRawText());
        Assert.Equal([0, 1], calls.EnumerateArray().Select(c => c.GetProperty("function").GetProperty("index").GetInt32()));

        stream.OnDone(_output);
        var lines = Lines(_output);
        Assert.Equal(2, lines.Count);
        Assert.Equal("stop", lines[1].Text("done_reason"));
        Assert.False(lines[1].GetProperty("message").Has("tool_calls"));
    }

    [Fact]
    public void Tool_calls_still_held_at_the_end_of_a_stream_without_finish_reason_are_sent_before_the_last_line()
    {
        using var stream = Start();
        Feed(stream, """{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"x","function":{"name":"f","arguments":"{\"a\":1}"}}]}}]}""");

        stream.OnDone(_output);

        var lines = Lines(_output);
        Assert.Equal(2, lines.Count);
        Assert.Equal("f", lines[0].GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function").Text("name"));
        Assert.True(lines[1].GetProperty("done").GetBoolean());
        Assert.Equal("stop", lines[1].Text("done_reason"));
    }

    [Fact]
    public void Pretty_printed_arguments_do_not_break_the_line_framing()
    {
        using var stream = Start();
        Feed(stream,
            """{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\n  \"a\": \"x y\",\n  \"b\": [1, 2]\n}"}}]},"finish_reason":"tool_calls"}]}""");

        var line = Assert.Single(Lines(_output));
        Assert.Equal("""{"a":"x y","b":[1,2]}""", line.GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetRawText());
    }

    [Fact]
    public void Pieces_without_an_index_continue_the_latest_call_until_a_new_id_arrives()
    {
        using var stream = Start();
        Feed(stream,
            """{"choices":[{"delta":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":"{\"x\""}}]}}]}""",
            """{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":":1}"}}]}}]}""",
            """{"choices":[{"delta":{"tool_calls":[{"id":"b","function":{"name":"g","arguments":"{}"}}]}}]}""");
        stream.OnDone(_output);

        var calls = Lines(_output)[0].GetProperty("message").GetProperty("tool_calls");
        Assert.Equal(2, calls.GetArrayLength());
        Assert.Equal("""{"x":1}""", calls[0].GetProperty("function").GetProperty("arguments").GetRawText());
        Assert.Equal("g", calls[1].GetProperty("function").Text("name"));
    }

    [Fact]
    public void An_upstream_failure_mid_stream_is_one_error_line_and_nothing_follows()
    {
        using var stream = Start();
        Feed(stream, Content("partial"), """{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{"}}]}}]}""");

        stream.OnError("upstream connection lost", _output);
        Feed(stream, Content("late"));
        stream.OnDone(_output);
        stream.OnError("again", _output);

        var lines = Lines(_output);
        Assert.Equal(2, lines.Count);
        Assert.Equal("partial", lines[0].GetProperty("message").Text("content"));
        Assert.Equal("upstream connection lost", lines[1].Text("error"));
        Assert.Equal(["error"], lines[1].EnumerateObject().Select(p => p.Name));
    }

    [Theory]
    [InlineData("""{"error":{"message":"model overloaded","type":"server_error"}}""", "model overloaded")]
    [InlineData("""{"error":"boom"}""", "boom")]
    [InlineData("""{"error":{"code":500}}""", "upstream error")]
    public void An_error_event_inside_the_stream_ends_it_as_an_error_line(string chunk, string message)
    {
        using var stream = Start();
        Feed(stream, Content("a"), chunk, Content("b"));
        stream.OnDone(_output);

        var lines = Lines(_output);
        Assert.Equal(2, lines.Count);
        Assert.Equal(message, lines[1].Text("error"));
    }

    [Fact]
    public void Error_null_on_every_chunk_is_not_an_error()
    {
        using var stream = Start();
        Feed(stream, """{"error":null,"choices":[{"delta":{"content":"ok"}}]}""");
        stream.OnDone(_output);

        Assert.Equal(2, Lines(_output).Count);
    }

    [Fact]
    public void Exactly_one_last_line_even_when_done_is_signalled_twice()
    {
        using var stream = Start();
        Feed(stream, Content("a"));
        stream.OnDone(_output);
        stream.OnDone(_output);
        Feed(stream, Content("b"));

        Assert.Equal(1, Lines(_output).Count(l => l.GetProperty("done").GetBoolean()));
        Assert.Equal(2, Lines(_output).Count);
    }

    [Fact]
    public void Reasoning_deltas_become_thinking_and_length_becomes_the_done_reason()
    {
        using var stream = Start();
        Feed(stream,
            """{"choices":[{"delta":{"reasoning_content":"first, "}}]}""",
            """{"choices":[{"delta":{"reasoning":"think"}}]}""",
            """{"choices":[{"delta":{"content":"answer"},"finish_reason":"length"}]}""");
        stream.OnDone(_output);

        var lines = Lines(_output);
        Assert.Equal(["first, ", "think"], lines.Take(2).Select(l => l.GetProperty("message").Text("thinking")));
        Assert.Equal("", lines[0].GetProperty("message").Text("content"));
        Assert.False(lines[2].GetProperty("message").Has("thinking"));
        Assert.Equal("length", lines[3].Text("done_reason"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Content_and_reasoning_in_one_event_share_one_line(bool chat)
    {
        using var stream = Start(chat);
        Feed(stream, """{"choices":[{"delta":{"content":"a\tb","reasoning_content":"why \u00e9"}}]}""");

        var line = Assert.Single(Lines(_output));
        var holder = chat ? line.GetProperty("message") : line;
        Assert.Equal(("a\tb", "why é"), (holder.Text(chat ? "content" : "response"), holder.Text("thinking")));
        Assert.False(line.GetProperty("done").GetBoolean());
    }

    [Fact]
    public void A_generate_stream_writes_response_lines_and_a_final_empty_response()
    {
        using var stream = Start(chat: false);
        Feed(stream, Content("The sky"), Content(" is blue."),
            """{"choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":4}}""");
        stream.OnDone(_output);

        var lines = Lines(_output);
        Assert.Equal(["The sky", " is blue.", ""], lines.Select(l => l.Text("response")));
        Assert.All(lines, line => Assert.False(line.Has("message")));
        Assert.Equal(4, lines[^1].GetProperty("eval_count").GetInt32());
    }

    [Fact]
    public void A_stream_without_usage_leaves_the_counts_out_of_the_last_line()
    {
        using var stream = Start();
        Feed(stream, Content("x"));
        stream.OnDone(_output);

        var last = Lines(_output)[^1];
        Assert.False(last.Has("prompt_eval_count"));
        Assert.False(last.Has("eval_count"));
        Assert.Null(stream.PromptTokens);
    }

    [Fact]
    public void A_chunk_that_is_not_json_is_skipped_and_the_stream_goes_on()
    {
        using var stream = Start();
        Feed(stream, "{\"choices\":[{\"delta\":{\"content\":\"a", Content("b"), "", "[1]");
        stream.OnDone(_output);

        var lines = Lines(_output);
        Assert.Equal(["b", ""], lines.Select(l => l.GetProperty("message").Text("content")));
    }

    [Fact]
    public void Only_the_first_choice_is_translated()
    {
        using var stream = Start();
        Feed(stream, """{"choices":[{"index":0,"delta":{"content":"one"}},{"index":1,"delta":{"content":"two"}}]}""");

        Assert.Equal("one", Assert.Single(Lines(_output)).GetProperty("message").Text("content"));
    }

    [Fact]
    public void Invalid_utf8_from_the_upstream_is_replaced_so_every_line_stays_valid_json()
    {
        using var stream = Start();
        stream.OnChunk([.. """{"choices":[{"delta":{"content":"a"""u8, 0xC3, .. "\"}}]}"u8], _output);

        Assert.Equal("a\uFFFD", Assert.Single(Lines(_output)).GetProperty("message").Text("content"));
    }
}
