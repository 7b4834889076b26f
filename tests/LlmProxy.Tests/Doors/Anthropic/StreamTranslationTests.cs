using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using LlmProxy.Doors.Anthropic;
using static LlmProxy.Tests.Doors.Anthropic.AnthropicTestJson;

namespace LlmProxy.Tests.Doors.Anthropic;

public class StreamTranslationTests
{
    private static readonly AnthropicReplyOptions Reply = new("msg_req-7", "claude-sonnet-4-5", InputTokens: 30);

    internal static string Chunk(string delta, string finish = "null", string extra = "") =>
        $$"""{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"qwen3","choices":[{"index":0,"delta":{{delta}},"logprobs":null,"finish_reason":{{finish}}{{extra}}}]}""";

    internal static string Text(string text, string finish = "null") => Chunk($$"""{"content":"{{PyEscape(text)}}"}""", finish);

    internal static string UsageChunk(int prompt, int completion) =>
        $$$"""{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"qwen3","choices":[],"usage":{"prompt_tokens":{{{prompt}}},"completion_tokens":{{{completion}}},"total_tokens":{{{prompt + completion}}}}}""";

    /// <summary>One tool call piece; null leaves the field out, as servers do in later pieces.</summary>
    internal static string Tool(int? index, string? id, string? name, string? arguments)
    {
        var fields = new List<string>();
        if (index is { } i)
        {
            fields.Add("\"index\":" + i.ToString(CultureInfo.InvariantCulture));
        }
        if (id is not null)
        {
            fields.Add($$"""
                "id":"{{id}}","type":"function"
                """);
        }
        var function = new List<string>();
        if (name is not null)
        {
            function.Add($$"""
                "name":"{{name}}"
                """);
        }
        if (arguments is not null)
        {
            function.Add($$"""
                "arguments":"{{PyEscape(arguments)}}"
                """);
        }
        fields.Add("\"function\":{" + string.Join(',', function) + "}");
        return "{" + string.Join(',', fields) + "}";
    }

    internal static string Tools(params string[] pieces) => Chunk("{\"tool_calls\":[" + string.Join(',', pieces) + "]}");

    private static (List<SseTestEvent> Events, AnthropicStreamTranslator Translator) Run(IEnumerable<string> chunks, AnthropicReplyOptions? reply = null, bool done = true)
    {
        var translator = new AnthropicStreamTranslator(reply ?? Reply);
        var output = new ArrayBufferWriter<byte>();
        foreach (var chunk in chunks)
        {
            translator.OnChunk(Encoding.UTF8.GetBytes(chunk), output);
        }
        if (done)
        {
            translator.OnDone(output);
        }
        return (SseTestEvents.Parse(output), translator);
    }

    [Fact]
    public void A_text_stream_is_Anthropics_event_sequence()
    {
        var (events, translator) = Run([Chunk("""{"role":"assistant","content":""}"""), Text("Hel"), Text("lo \"you\""), Chunk("{}", "\"stop\""), UsageChunk(25, 3)]);
        Assert.Equal(
            ["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            SseTestEvents.Types(events));
        Equal("""
            {"type":"message_start","message":{"id":"msg_req-7","type":"message","role":"assistant","model":"claude-sonnet-4-5",
             "content":[],"stop_reason":null,"stop_sequence":null,
             "usage":{"input_tokens":30,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}}
            """, events[0].Json);
        Equal("""{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""", events[1].Json);
        Equal("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}""", events[2].Json);
        Equal("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo \"you\""}}""", events[3].Json);
        Equal("""{"type":"content_block_stop","index":0}""", events[4].Json);
        Equal("""{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":25,"output_tokens":3}}""", events[5].Json);
        Equal("""{"type":"message_stop"}""", events[6].Json);
        Assert.Equal(new TokenUsage(25, 3), translator.Usage);
        Assert.True(translator.Finished);
    }

    [Fact]
    public void Empty_deltas_and_usage_only_chunks_write_nothing_but_usage_still_arrives()
    {
        var translator = new AnthropicStreamTranslator(Reply);
        var output = new ArrayBufferWriter<byte>();
        Assert.True(translator.OnChunk(Encoding.UTF8.GetBytes(Text("Hi")), output));
        var written = output.WrittenCount;
        Assert.False(translator.OnChunk(Encoding.UTF8.GetBytes(Chunk("""{"content":""}""")), output));
        Assert.False(translator.OnChunk(Encoding.UTF8.GetBytes(Chunk("{}")), output));
        Assert.False(translator.OnChunk(Encoding.UTF8.GetBytes(Chunk("""{"content":null,"tool_calls":[]}""")), output));
        Assert.True(translator.OnChunk(Encoding.UTF8.GetBytes(Chunk("{}", "\"stop\"")), output));
        var afterFinish = output.WrittenCount;
        Assert.False(translator.OnChunk(Encoding.UTF8.GetBytes(UsageChunk(9, 1)), output));
        Assert.Equal(afterFinish, output.WrittenCount);
        Assert.True(written < afterFinish);
        translator.OnDone(output);
        var last = SseTestEvents.Parse(output)[^2];
        Equal("""{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":9,"output_tokens":1}}""", last.Json);
    }

    [Fact]
    public void The_finish_chunk_closes_the_block_and_message_delta_waits_for_the_end()
    {
        var translator = new AnthropicStreamTranslator(Reply);
        var output = new ArrayBufferWriter<byte>();
        translator.OnChunk(Encoding.UTF8.GetBytes(Tools(Tool(0, "call_1", "ls", "{}"))), output);
        translator.OnChunk(Encoding.UTF8.GetBytes(Chunk("{}", "\"tool_calls\"")), output);
        Assert.Equal("content_block_stop", SseTestEvents.Parse(output)[^1].Type);
        translator.OnChunk(Encoding.UTF8.GetBytes(UsageChunk(40, 12)), output);
        translator.OnDone(output);
        var events = SseTestEvents.Parse(output);
        Equal("""{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":40,"output_tokens":12}}""", events[^2].Json);
    }

    [Fact]
    public void Several_whole_tool_calls_in_one_chunk_become_consecutive_blocks()
    {
        // Ollama sends each call whole, all in one chunk.
        var (events, _) = Run([Chunk("""
            {"role":"assistant","content":"","tool_calls":[
              {"id":"call_x","index":0,"type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
              {"id":"call_y","index":1,"type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]}
            """), Chunk("""{"content":""}""", "\"tool_calls\"")]);
        Assert.Equal(
            ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            SseTestEvents.Types(events));
        Equal("""{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"call_x","name":"get_weather","input":{}}}""", events[1].Json);
        Equal("""{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Paris\"}"}}""", events[2].Json);
        Equal("""{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"call_y","name":"get_weather","input":{}}}""", events[4].Json);
        var message = SdkStyleAccumulator.Accumulate(events);
        Equal("""
            [{"type":"tool_use","id":"call_x","name":"get_weather","input":{"city":"Paris"}},
             {"type":"tool_use","id":"call_y","name":"get_weather","input":{"city":"Oslo"}}]
            """, message["content"]);
        Assert.Equal("tool_use", (string)message["stop_reason"]!);
    }

    [Fact]
    public void Arguments_split_at_awkward_places_are_re_emitted_in_order()
    {
        // vLLM / llama.cpp style: id and name first, then the arguments in pieces that split keys, escapes' text,
        // numbers, and a surrogate pair (a Python server escapes each half on its own).
        const string arguments = "{\"path\": \"C:\\\\tmp\\\\a \\\"b\\\".txt\", \"n\": -12.5e3, \"emoji\": \"😀\", \"list\": [true, null]}";
        var pieces = new List<string> { Tools(Tool(0, "call_7", "write_file", "")) };
        var cuts = new[] { 1, 2, 7, 8, 13, 20, 21, 33, 34, 40, 47, 51, 62, 63, 64, 71, 72, arguments.Length };
        var emoji = arguments.IndexOf("😀", StringComparison.Ordinal);
        cuts = [.. cuts.Append(emoji + 1).Order().Distinct()];
        var at = 0;
        foreach (var cut in cuts)
        {
            pieces.Add(Tools(Tool(0, null, null, arguments[at..cut])));
            at = cut;
        }
        pieces.Add(Chunk("{}", "\"tool_calls\""));
        var (events, _) = Run(pieces);
        var deltas = events.Where(e => e.Type == "content_block_delta").ToList();
        Assert.Equal(cuts.Length, deltas.Count);
        Assert.All(deltas, d => Assert.Equal(0, (int)d.Json["index"]!));
        var message = SdkStyleAccumulator.Accumulate(events);
        Equal("""{"path":"C:\\tmp\\a \"b\".txt","n":-12.5e3,"emoji":"😀","list":[true,null]}""", message["content"]![0]!["input"]);
        Assert.Equal("call_7", (string)message["content"]![0]!["id"]!);
    }

    [Fact]
    public void Text_then_tool_calls_close_the_text_block_first()
    {
        var (events, _) = Run([
            Text("I'll look."),
            Tools(Tool(0, "call_1", "read", "{\"f\":")),
            Tools(Tool(0, null, null, "\"a\"}")),
            Tools(Tool(1, "call_2", "read", "")),
            Tools(Tool(1, null, null, "{\"f\":\"b\"}")),
            Chunk("{}", "\"tool_calls\""),
        ]);
        Assert.Equal(
            ["message_start",
             "content_block_start", "content_block_delta", "content_block_stop",
             "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
             "content_block_start", "content_block_delta", "content_block_stop",
             "message_delta", "message_stop"],
            SseTestEvents.Types(events));
        Equal("""
            [{"type":"text","text":"I'll look."},
             {"type":"tool_use","id":"call_1","name":"read","input":{"f":"a"}},
             {"type":"tool_use","id":"call_2","name":"read","input":{"f":"b"}}]
            """, SdkStyleAccumulator.Accumulate(events)["content"]);
    }

    [Fact]
    public void Text_after_a_tool_call_opens_a_new_text_block()
    {
        var (events, _) = Run([Tools(Tool(0, "c", "f", "{}")), Text("done"), Chunk("{}", "\"stop\"")]);
        Equal("""[{"type":"tool_use","id":"c","name":"f","input":{}},{"type":"text","text":"done"}]""", SdkStyleAccumulator.Accumulate(events)["content"]);
    }

    [Fact]
    public void Arguments_that_come_before_the_name_wait_for_it()
    {
        var (events, _) = Run([Tools(Tool(0, "c", null, "{\"a\"")), Tools(Tool(0, null, "late_name", ":1}")), Chunk("{}", "\"tool_calls\"")]);
        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"], SseTestEvents.Types(events));
        Equal("""[{"type":"tool_use","id":"c","name":"late_name","input":{"a":1}}]""", SdkStyleAccumulator.Accumulate(events)["content"]);
    }

    [Fact]
    public void A_call_without_index_or_id_gets_a_generated_id_and_calls_are_told_apart_by_id()
    {
        var (events, _) = Run([
            Tools(Tool(null, null, "first", "{}")),
            Tools(Tool(null, "id_2", "second", "{\"x\":")),
            Tools(Tool(null, null, null, "2}")),
            Tools(Tool(0, "id_3", "third", "{}")),
            Tools(Tool(0, "id_4", "fourth", "{}")),
        ]);
        var content = SdkStyleAccumulator.Accumulate(events)["content"]!.AsArray();
        Assert.Equal(["first", "second", "third", "fourth"], content.Select(b => (string)b!["name"]!));
        Assert.Matches("^toolu_[0-9A-Za-z]{24}$", (string)content[0]!["id"]!);
        Equal("""{"type":"tool_use","id":"id_2","name":"second","input":{"x":2}}""", content[1]);
        Assert.Equal(["id_3", "id_4"], content.Skip(2).Select(b => (string)b!["id"]!));
    }

    [Fact]
    public void A_piece_for_a_call_already_closed_is_dropped_and_the_stream_stays_valid()
    {
        var (events, _) = Run([
            Tools(Tool(0, "a", "f", "{\"k\":1}")),
            Tools(Tool(1, "b", "g", "{}")),
            Tools(Tool(0, null, null, "ignored")),
            Chunk("{}", "\"tool_calls\""),
        ]);
        Equal("""[{"type":"tool_use","id":"a","name":"f","input":{"k":1}},{"type":"tool_use","id":"b","name":"g","input":{}}]""", SdkStyleAccumulator.Accumulate(events)["content"]);
    }

    [Fact]
    public void A_call_whose_name_never_comes_still_gets_its_block()
    {
        var (events, _) = Run([Tools(Tool(0, "c", null, "{}")), Chunk("{}", "\"tool_calls\"")]);
        Equal("""[{"type":"tool_use","id":"c","name":"","input":{}}]""", SdkStyleAccumulator.Accumulate(events)["content"]);
    }

    [Fact]
    public void Object_valued_arguments_are_sent_as_JSON_text()
    {
        var (events, _) = Run([Chunk("""{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":{"q":"caf\u00e9","n":[1]}}}]}""")]);
        Equal("""[{"type":"tool_use","id":"c","name":"f","input":{"q":"café","n":[1]}}]""", SdkStyleAccumulator.Accumulate(events)["content"]);
    }

    [Fact]
    public void An_upstream_error_mid_stream_is_one_error_event_and_nothing_after_it()
    {
        var translator = new AnthropicStreamTranslator(Reply);
        var output = new ArrayBufferWriter<byte>();
        translator.OnChunk(Encoding.UTF8.GetBytes(Text("partial")), output);
        translator.OnError("The connection to the upstream model server was lost mid-stream", AnthropicErrors.Api, output);
        var written = output.WrittenCount;
        Assert.False(translator.OnChunk(Encoding.UTF8.GetBytes(Text("more")), output));
        translator.OnDone(output);
        translator.OnError("again", AnthropicErrors.Api, output);
        Assert.Equal(written, output.WrittenCount);
        var events = SseTestEvents.Parse(output);
        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "error"], SseTestEvents.Types(events));
        Equal("""{"type":"error","error":{"type":"api_error","message":"The connection to the upstream model server was lost mid-stream"}}""", events[^1].Json);
        Assert.True(translator.Finished);
    }

    [Theory]
    [InlineData("""{"error":{"message":"CUDA out of \"memory\"","type":"server_error"}}""", "CUDA out of \"memory\"")]
    [InlineData("""{"error":"model unloaded"}""", "model unloaded")]
    [InlineData("""{"object":"error","message":"bad","type":"BadRequestError","code":400}""", "bad")]
    [InlineData("""{"error":{"code":500}}""", "The upstream model server reported an error")]
    public void An_error_object_in_a_data_event_ends_the_stream_with_its_message(string chunk, string message)
    {
        var (events, translator) = Run([Text("a"), chunk, Text("b")]);
        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "error"], SseTestEvents.Types(events));
        Assert.Equal(message, (string)events[^1].Json["error"]!["message"]!);
        Assert.Equal("api_error", (string)events[^1].Json["error"]!["type"]!);
        Assert.True(translator.Finished);
    }

    [Fact]
    public void A_chunk_that_is_not_JSON_ends_the_stream_with_an_error_event()
    {
        var (events, _) = Run([Text("a"), "{\"choices\":[{\"delta\":{\"content\":\"x\"", Text("b")]);
        Assert.Equal("error", events[^1].Type);
        Assert.Contains("not valid JSON", (string)events[^1].Json["error"]!["message"]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"choices":[{"delta":{"content":"x"},"finish_reason":"st\ud800op"}]}""")]
    [InlineData("""{"choices":[{"del\udc00ta":{"content":"x"}}]}""")]
    [InlineData("""{"object":"\ud800","choices":[]}""")]
    public void A_lone_surrogate_in_a_name_or_compared_value_is_an_error_event_not_an_exception(string chunk)
    {
        var (events, _) = Run([Text("a"), chunk]);
        Assert.Equal("error", events[^1].Type);
    }

    [Fact]
    public void An_error_before_anything_was_written_is_just_the_error_event()
    {
        var translator = new AnthropicStreamTranslator(Reply);
        var output = new ArrayBufferWriter<byte>();
        Assert.False(translator.Started);
        translator.OnError("boom", AnthropicErrors.Overloaded, output);
        Assert.Equal(["error"], SseTestEvents.Types(SseTestEvents.Parse(output)));
    }

    [Fact]
    public void Keep_alive_payloads_write_nothing_and_DONE_ends_the_message()
    {
        var translator = new AnthropicStreamTranslator(Reply);
        var output = new ArrayBufferWriter<byte>();
        Assert.False(translator.OnChunk(""u8, output));
        Assert.False(translator.OnChunk(" \r\n"u8, output));
        Assert.Equal(0, output.WrittenCount);
        translator.OnChunk(Encoding.UTF8.GetBytes(Text("x")), output);
        Assert.True(translator.OnChunk("[DONE]"u8, output));
        Assert.Equal("message_stop", SseTestEvents.Parse(output)[^1].Type);
        Assert.True(translator.Finished);
    }

    [Fact]
    public void A_stream_that_ends_without_finish_reason_still_ends_properly()
    {
        var (events, _) = Run([Text("cut "), Text("short")]);
        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"], SseTestEvents.Types(events));
        Equal("""{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":0}}""", events[^2].Json);
        var tools = Run([Tools(Tool(0, "c", "f", "{\"a\":"))]).Events;
        Assert.Equal("tool_use", (string)tools[^2].Json["delta"]!["stop_reason"]!);
        Assert.Equal("content_block_stop", tools[^3].Type);
    }

    [Fact]
    public void An_empty_upstream_stream_is_an_empty_message()
    {
        var (events, _) = Run([]);
        Assert.Equal(["message_start", "message_delta", "message_stop"], SseTestEvents.Types(events));
        var message = SdkStyleAccumulator.Accumulate(events);
        Equal("[]", message["content"]);
        Assert.Equal("end_turn", (string)message["stop_reason"]!);
    }

    [Fact]
    public void There_is_exactly_one_message_start_and_one_message_stop()
    {
        var translator = new AnthropicStreamTranslator(Reply);
        var output = new ArrayBufferWriter<byte>();
        foreach (var chunk in new[] { Text("a"), Text("b"), Chunk("{}", "\"stop\""), UsageChunk(1, 2) })
        {
            translator.OnChunk(Encoding.UTF8.GetBytes(chunk), output);
        }
        translator.OnDone(output);
        translator.OnDone(output);
        translator.OnChunk(Encoding.UTF8.GetBytes(Text("late")), output);
        var types = SseTestEvents.Types(SseTestEvents.Parse(output));
        Assert.Single(types, t => t == "message_start");
        Assert.Single(types, t => t == "message_stop");
        Assert.Equal("message_stop", types[^1]);
    }

    [Fact]
    public void Reasoning_streams_as_a_thinking_block_only_when_thinking_was_enabled()
    {
        string[] chunks = [Chunk("""{"reasoning_content":"Think "}"""), Chunk("""{"reasoning_content":"hard."}"""), Text("Answer"), Chunk("{}", "\"stop\"")];
        var plain = SdkStyleAccumulator.Accumulate(Run(chunks).Events);
        Equal("""[{"type":"text","text":"Answer"}]""", plain["content"]);
        var thinking = Run(chunks, Reply with { IncludeThinking = true }).Events;
        Equal("""{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}""", thinking[1].Json);
        Equal("""{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Think "}}""", thinking[2].Json);
        Equal("""
            [{"type":"thinking","thinking":"Think hard.","signature":""},{"type":"text","text":"Answer"}]
            """, SdkStyleAccumulator.Accumulate(thinking)["content"]);
    }

    [Fact]
    public void A_stop_sequence_named_by_the_upstream_reaches_message_delta()
    {
        var (events, _) = Run([Text("a b"), Chunk("{}", "\"stop\"", extra: ""","stop_reason":"\nEND" """)]);
        Equal("""{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"\nEND"},"usage":{"output_tokens":0}}""", events[^2].Json);
    }

    [Fact]
    public void Length_finish_is_max_tokens()
    {
        var (events, _) = Run([Text("a"), Chunk("{}", "\"length\"")]);
        Assert.Equal("max_tokens", (string)events[^2].Json["delta"]!["stop_reason"]!);
    }

    [Fact]
    public void Identifiers_and_model_names_with_quotes_are_escaped_in_message_start()
    {
        var (events, _) = Run([Text("x")], new AnthropicReplyOptions("msg_a\"b", "model \"q\" é"));
        Assert.Equal("msg_a\"b", (string)events[0].Json["message"]!["id"]!);
        Assert.Equal("model \"q\" é", (string)events[0].Json["message"]!["model"]!);
    }

    [Fact]
    public void Mutated_chunks_never_throw_and_every_output_is_well_formed()
    {
        string[] seeds =
        [
            Text("Hello \"w\" é 😀"),
            Tools(Tool(0, "call_1", "f", "{\"a\": [1, \"x\"]}"), Tool(1, "call_2", "g", "")),
            Chunk("""{"reasoning_content":"r","content":"c"}""", "\"stop\"", extra: ""","stop_reason":"END" """),
            UsageChunk(3, 4),
            """{"error":{"message":"m"}}""",
        ];
        byte[] alphabet = "{}[]\":,\\u0123456789abcdefDdXx-+.e n"u8.ToArray();
        var random = new Random(99);
        for (var run = 0; run < 400; run++)
        {
            var translator = new AnthropicStreamTranslator(Reply with { IncludeThinking = run % 2 == 0 });
            var output = new ArrayBufferWriter<byte>();
            for (var i = 0; i < 8; i++)
            {
                var chunk = Encoding.UTF8.GetBytes(seeds[random.Next(seeds.Length)]).ToList();
                if (random.Next(3) > 0)
                {
                    var at = random.Next(chunk.Count);
                    if (random.Next(2) == 0)
                    {
                        chunk[at] = alphabet[random.Next(alphabet.Length)];
                    }
                    else
                    {
                        chunk.RemoveRange(at, Math.Min(chunk.Count - at, 1 + random.Next(5)));
                    }
                }
                translator.OnChunk(chunk.ToArray(), output);
            }
            translator.OnDone(output);
            var events = SseTestEvents.Parse(output);
            Assert.True(events[^1].Type is "message_stop" or "error");
            Assert.True(events.Count(e => e.Type is "message_stop" or "error") == 1);
        }
    }
}
