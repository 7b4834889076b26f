using System.Text.Json.Nodes;
using static LlmProxy.Tests.Doors.Anthropic.AnthropicTestJson;

namespace LlmProxy.Tests.Doors.Anthropic;

public class RequestTranslationTests
{
    [Fact]
    public void A_plain_request_carries_system_sampling_stop_sequences_stream_and_user()
    {
        var openAi = ToOpenAi("""
            {"model":"qwen3","max_tokens":256,"system":"Be brief.","messages":[{"role":"user","content":"Hi"}],
             "temperature":0.5,"top_p":0.9,"top_k":40,"stop_sequences":["END","\n\nHuman:"],"stream":true,
             "metadata":{"user_id":"u-1"},"anthropic_beta":["x"],"service_tier":"auto"}
            """);
        Equal("""
            {"model":"qwen3","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],
             "max_tokens":256,"temperature":0.5,"top_p":0.9,"top_k":40,"stop":["END","\n\nHuman:"],
             "stream":true,"stream_options":{"include_usage":true},"user":"u-1"}
            """, openAi);
    }

    [Fact]
    public void A_non_streaming_request_sends_neither_stream_nor_stream_options()
    {
        var openAi = ToOpenAi("""{"model":"m","max_tokens":1,"stream":false,"messages":[{"role":"user","content":"x"}]}""");
        Equal("""{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1}""", openAi);
    }

    [Fact]
    public void Numbers_are_copied_as_the_client_wrote_them()
    {
        var text = ToOpenAiText("""{"model":"m","max_tokens":64000,"temperature":0.70000000000000001,"messages":[{"role":"user","content":"x"}]}""");
        Assert.Contains("\"max_tokens\":64000", text, StringComparison.Ordinal);
        Assert.Contains("\"temperature\":0.70000000000000001", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_upstream_model_name_replaces_the_clients_when_given()
    {
        var openAi = ToOpenAi("""{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[{"role":"user","content":"x"}]}""", upstreamModel: "qwen2.5-coder:32b");
        Assert.Equal("qwen2.5-coder:32b", (string)openAi["model"]!);
    }

    [Fact]
    public void System_text_blocks_are_joined_and_cache_control_is_dropped()
    {
        var openAi = ToOpenAi("""
            {"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],
             "system":[{"type":"text","text":"You are Claude Code."},
                       {"type":"text","text":"Rules:\n- be \"exact\"","cache_control":{"type":"ephemeral"}}]}
            """);
        Equal("""{"role":"system","content":"You are Claude Code.\nRules:\n- be \"exact\""}""", openAi["messages"]![0]);
    }

    [Fact]
    public void Text_only_user_blocks_become_one_string()
    {
        var openAi = ToOpenAi("""
            {"model":"m","max_tokens":1,"messages":[{"role":"user","content":[
              {"type":"text","text":"<system-reminder>ctx</system-reminder>"},
              {"type":"text","text":"fix the bug","cache_control":{"type":"ephemeral"}}]}]}
            """);
        Equal("""[{"role":"user","content":"<system-reminder>ctx</system-reminder>\nfix the bug"}]""", openAi["messages"]);
    }

    [Fact]
    public void Images_from_base64_and_url_sources_become_image_url_parts_in_order()
    {
        var openAi = ToOpenAi("""
            {"model":"m","max_tokens":1,"messages":[{"role":"user","content":[
              {"type":"text","text":"What is in these?"},
              {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
              {"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}},
              {"type":"image","source":{"type":"file","file_id":"file_01"}}]}]}
            """);
        Equal("""
            [{"role":"user","content":[
              {"type":"text","text":"What is in these?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
              {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]
            """, openAi["messages"]);
    }

    [Fact]
    public void A_tool_round_trip_keeps_the_order_OpenAI_requires()
    {
        var openAi = ToOpenAi("""
            {"model":"m","max_tokens":1,"messages":[
              {"role":"user","content":"Weather in Paris and Oslo?"},
              {"role":"assistant","content":[
                {"type":"thinking","thinking":"two calls","signature":"c2ln"},
                {"type":"text","text":"Checking."},
                {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}},
                {"type":"tool_use","id":"toolu_2","name":"get_weather","input":{"city":"Oslo"}}]},
              {"role":"user","content":[
                {"type":"text","text":"Also, hurry."},
                {"type":"tool_result","tool_use_id":"toolu_1","content":"18 C"},
                {"type":"tool_result","tool_use_id":"toolu_2","is_error":true,
                 "content":[{"type":"text","text":"timeout"},{"type":"text","text":"retry later"}]}]}]}
            """);
        Equal("""
            [{"role":"user","content":"Weather in Paris and Oslo?"},
             {"role":"assistant","content":"Checking.","tool_calls":[
               {"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
               {"id":"toolu_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
             {"role":"tool","tool_call_id":"toolu_1","content":"18 C"},
             {"role":"tool","tool_call_id":"toolu_2","content":"Error: timeout\nretry later"},
             {"role":"user","content":"Also, hurry."}]
            """, openAi["messages"]);
    }

    [Fact]
    public void Tool_input_bytes_reach_the_arguments_string_unchanged()
    {
        // Whitespace, key order, non-ASCII, escapes and number spelling all survive: arguments is the input's own text.
        const string input = """{ "path" : "/tmp/caf\u00e9 ü.txt",  "n": 1.50, "nested": {"q": "say \"hi\"\n"} }""";
        var openAi = ToOpenAi($$"""
            {"model":"m","max_tokens":1,"messages":[
              {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"write","input":{{input}}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t"}]}]}
            """);
        var assistant = openAi["messages"]![0]!.AsObject();
        Assert.Equal(input, (string)assistant["tool_calls"]![0]!["function"]!["arguments"]!);
        Assert.True(assistant.ContainsKey("content"));
        Assert.Null(assistant["content"]);
        Equal("""{"role":"tool","tool_call_id":"t","content":""}""", openAi["messages"]![1]);
    }

    [Fact]
    public void A_user_turn_of_only_tool_results_adds_no_empty_user_message()
    {
        var openAi = ToOpenAi("""
            {"model":"m","max_tokens":1,"messages":[
              {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"ls","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"a.txt"}]},
                                        {"type":"tool_result","tool_use_id":"u","is_error":true}]}]}
            """);
        Equal("""
            [{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"ls","arguments":"{}"}}]},
             {"role":"tool","tool_call_id":"t","content":"a.txt"},
             {"role":"tool","tool_call_id":"u","content":"Error"}]
            """, openAi["messages"]);
    }

    [Fact]
    public void Images_a_tool_returned_follow_the_tool_messages_in_a_user_message()
    {
        var openAi = ToOpenAi("""
            {"model":"m","max_tokens":1,"messages":[
              {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"screenshot","input":{}}]},
              {"role":"user","content":[
                {"type":"tool_result","tool_use_id":"t","content":[
                  {"type":"text","text":"captured"},
                  {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}}]},
                {"type":"text","text":"What do you see?"}]}]}
            """);
        Equal("""
            [{"role":"tool","tool_call_id":"t","content":"captured"},
             {"role":"user","content":[
               {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}},
               {"type":"text","text":"What do you see?"}]}]
            """, new JsonArray(openAi["messages"]![1]!.DeepClone(), openAi["messages"]![2]!.DeepClone()));
    }

    [Fact]
    public void Thinking_blocks_of_earlier_turns_are_dropped_and_the_turn_is_kept()
    {
        var openAi = ToOpenAi("""
            {"model":"m","max_tokens":1,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[
              {"role":"user","content":"a"},
              {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"x"},{"type":"redacted_thinking","data":"abc"}]},
              {"role":"user","content":"b"}]}
            """);
        Equal("""
            {"model":"m","messages":[{"role":"user","content":"a"},{"role":"assistant","content":""},{"role":"user","content":"b"}],"max_tokens":1}
            """, openAi);
    }

    [Fact]
    public void Assistant_string_content_and_prefill_pass_through()
    {
        var openAi = ToOpenAi("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"Say hi"},{"role":"assistant","content":"Hi, "}]}""");
        Equal("""[{"role":"user","content":"Say hi"},{"role":"assistant","content":"Hi, "}]""", openAi["messages"]);
    }

    [Fact]
    public void Tools_become_functions_with_their_schema_as_parameters()
    {
        var openAi = ToOpenAi("""
            {"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[
              {"name":"get_weather","description":"Weather now","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"cache_control":{"type":"ephemeral"}},
              {"type":"custom","name":"noop","input_schema":{"type":"object"}},
              {"type":"web_search_20250305","name":"web_search","max_uses":5},
              {"type":"bash_20250124","name":"bash"}]}
            """);
        Equal("""
            [{"type":"function","function":{"name":"get_weather","description":"Weather now","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
             {"type":"function","function":{"name":"noop","parameters":{"type":"object"}}}]
            """, openAi["tools"]);
        Assert.Null(openAi["tool_choice"]);
    }

    [Theory]
    [InlineData("""{"type":"auto"}""", "\"auto\"", null)]
    [InlineData("""{"type":"any"}""", "\"required\"", null)]
    [InlineData("""{"type":"none"}""", "\"none\"", null)]
    [InlineData("""{"type":"tool","name":"get_weather"}""", """{"type":"function","function":{"name":"get_weather"}}""", null)]
    [InlineData("""{"type":"auto","disable_parallel_tool_use":true}""", "\"auto\"", false)]
    [InlineData("""{"type":"any","disable_parallel_tool_use":false}""", "\"required\"", null)]
    public void Tool_choice_maps_to_OpenAIs(string anthropic, string expected, bool? parallel)
    {
        var openAi = ToOpenAi($$$"""
            {"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],
             "tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"tool_choice":{{{anthropic}}}}
            """);
        Equal(expected, openAi["tool_choice"]);
        Assert.Equal(parallel, openAi["parallel_tool_calls"]?.GetValue<bool>());
    }

    [Fact]
    public void Tool_choice_is_left_out_when_no_tool_could_be_carried()
    {
        // OpenAI-compatible servers refuse tool_choice without tools (vLLM: "tools must be set").
        var openAi = ToOpenAi("""
            {"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],
             "tools":[{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"any","disable_parallel_tool_use":true}}
            """);
        Assert.Null(openAi["tools"]);
        Assert.Null(openAi["tool_choice"]);
        Assert.Null(openAi["parallel_tool_calls"]);
    }

    [Fact]
    public void Blocks_and_fields_the_translation_cannot_carry_are_dropped_silently()
    {
        var openAi = ToOpenAi("""
            {"model":"m","max_tokens":1,"container":"c","mcp_servers":[{"url":"x"}],"context_management":{},
             "messages":[{"role":"user","content":[
               {"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc"}},
               {"type":"search_result","source":"s","title":"t","content":[{"type":"text","text":"r"}]},
               {"type":"text","text":"question","citations":[]}]}]}
            """);
        Equal("""{"model":"m","messages":[{"role":"user","content":"question"}],"max_tokens":1}""", openAi);
    }

    [Fact]
    public void Fields_may_come_in_any_order()
    {
        var openAi = ToOpenAi("""
            {"messages":[{"content":[{"input":{"a":1},"name":"f","id":"t1","type":"tool_use"}],"role":"assistant"},
                         {"content":[{"content":"ok","tool_use_id":"t1","type":"tool_result"}],"role":"user"}],
             "stream":true,"max_tokens":9,"system":"s","model":"m"}
            """);
        Equal("""
            {"model":"m","messages":[{"role":"system","content":"s"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
              {"role":"tool","tool_call_id":"t1","content":"ok"}],
             "max_tokens":9,"stream":true,"stream_options":{"include_usage":true}}
            """, openAi);
    }

    [Fact]
    public void Escapes_and_non_ASCII_text_are_copied_byte_for_byte()
    {
        var text = ToOpenAiText("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"caf\u00e9 – ü 😀 \ud83d\ude00 <b>&amp;</b>"}]}""");
        Assert.Contains("""{"role":"user","content":"caf\u00e9 – ü 😀 \ud83d\ude00 <b>&amp;</b>"}""", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Count_tokens_requests_need_no_max_tokens()
    {
        var request = Parse("""{"model":"m","messages":[{"role":"user","content":"hello"}]}""", requireMaxTokens: false);
        Assert.Equal("m", request.Model);
        Assert.False(request.Stream);
    }

    [Fact]
    public void The_parsed_request_reports_model_stream_and_thinking()
    {
        var request = Parse("""{"model":"claude-opus-4","max_tokens":1,"stream":true,"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal(("claude-opus-4", true, true), (request.Model, request.Stream, request.ThinkingRequested));
        var plain = Parse("""{"model":"m","max_tokens":1,"thinking":{"type":"disabled"},"messages":[{"role":"user","content":"x"}]}""");
        Assert.False(plain.ThinkingRequested);
    }

    [Fact]
    public void The_body_can_be_written_again_for_another_upstream()
    {
        var request = Parse("""{"model":"alias","max_tokens":1,"messages":[{"role":"user","content":"x"}]}""");
        var first = new System.Buffers.ArrayBufferWriter<byte>();
        var second = new System.Buffers.ArrayBufferWriter<byte>();
        request.WriteOpenAiBody(first, "model-a");
        request.WriteOpenAiBody(second, "model-b");
        Assert.Equal("model-a", (string)JsonNode.Parse(first.WrittenSpan)!["model"]!);
        Assert.Equal("model-b", (string)JsonNode.Parse(second.WrittenSpan)!["model"]!);
    }
}
