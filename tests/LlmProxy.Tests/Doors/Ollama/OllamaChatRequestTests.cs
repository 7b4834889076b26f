using System.Text.Json;
using LlmProxy.Doors.Ollama;
using static LlmProxy.Tests.Doors.Ollama.OllamaTestKit;

namespace LlmProxy.Tests.Doors.Ollama;

public class OllamaChatRequestTests
{
    [Fact]
    public void A_plain_chat_keeps_model_and_messages_and_streams_by_default_with_usage()
    {
        var (request, body) = Chat("""{"model":"llama3.2","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}""");

        Assert.Equal(new OllamaRequest(OllamaRequestKind.Upstream, "llama3.2", true, null), request);
        Assert.Equal("llama3.2", body.Text("model"));
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.True(body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        var messages = body.GetProperty("messages");
        Assert.Equal(2, messages.GetArrayLength());
        Assert.Equal(("system", "be brief"), (messages[0].Text("role"), messages[0].Text("content")));
        Assert.Equal(("user", "hi"), (messages[1].Text("role"), messages[1].Text("content")));
    }

    [Fact]
    public void Stream_false_is_kept_and_asks_for_no_stream_options()
    {
        var (request, body) = Chat("""{"model":"m","stream":false,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.False(request.Stream);
        Assert.False(body.GetProperty("stream").GetBoolean());
        Assert.False(body.Has("stream_options"));
    }

    [Fact]
    public void Escapes_in_content_arrive_unchanged()
    {
        var (_, body) = Chat("""{"model":"m","messages":[{"role":"user","content":"line\n\"quoted\" \u00e9 \ud83d\ude00 中文"}]}""");

        Assert.Equal("line\n\"quoted\" é 😀 中文", body.GetProperty("messages")[0].Text("content"));
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("gif")]
    [InlineData("webp")]
    public void Images_become_data_url_parts_with_the_media_type_read_from_the_bytes(string format)
    {
        var image = format switch
        {
            "png" => Png,
            "jpeg" => Base64Of(0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 1),
            "gif" => Base64Of("GIF89a\u0001\u0000\u0001\u0000"u8.ToArray()),
            _ => Base64Of("RIFF\u0010\u0000\u0000\u0000WEBPVP8 "u8.ToArray()),
        };
        var (_, body) = Chat($$"""{"model":"m","messages":[{"role":"user","content":"what is this?","images":["{{image}}"]}]}""");

        var content = body.GetProperty("messages")[0].GetProperty("content");
        Assert.Equal(2, content.GetArrayLength());
        Assert.Equal(("text", "what is this?"), (content[0].Text("type"), content[0].Text("text")));
        Assert.Equal("image_url", content[1].Text("type"));
        Assert.Equal($"data:image/{format};base64,{image}", content[1].GetProperty("image_url").Text("url"));
    }

    [Fact]
    public void An_image_without_text_has_only_the_image_part_and_escaped_slashes_and_line_breaks_are_undone()
    {
        var wrapped = Png[..20] + "\\n" + Png[20..].Replace("/", "\\/", StringComparison.Ordinal);
        var (_, body) = Chat($$"""{"model":"m","messages":[{"role":"user","images":["{{wrapped}}"]}]}""");

        var content = body.GetProperty("messages")[0].GetProperty("content");
        Assert.Equal(1, content.GetArrayLength());
        Assert.Equal($"data:image/png;base64,{Png}", content[0].GetProperty("image_url").Text("url"));
    }

    [Theory]
    [InlineData("\"not base64!\"", "messages[0].images[0] is not valid base64")]
    [InlineData("\"AAAAAAAAAAAAAAAA\"", "messages[0].images[0] is not a PNG, JPEG, GIF or WebP image")]
    [InlineData("42", "messages[0].images[0] must be a base64 string")]
    public void A_bad_image_is_a_400_naming_it(string image, string problem)
    {
        var (request, _) = Chat($$"""{"model":"m","messages":[{"role":"user","content":"x","images":[{{image}}]}]}""");

        Assert.Equal(OllamaRequestKind.Invalid, request.Kind);
        Assert.Equal(problem, request.Problem);
    }

    [Fact]
    public void Assistant_tool_calls_get_ids_and_their_arguments_become_a_json_string()
    {
        var (_, body) = Chat("""
            {"model":"m","messages":[
              {"role":"user","content":"weather in Paris?"},
              {"role":"assistant","content":"","thinking":"let me check","tool_calls":[
                {"function":{"name":"get_weather","arguments":{"city":"Paris","days":[1,2]}}}]}]}
            """);

        var assistant = body.GetProperty("messages")[1];
        Assert.False(assistant.Has("thinking"));
        var call = Assert.Single(assistant.GetProperty("tool_calls").EnumerateArray());
        Assert.Equal(("call_0", "function"), (call.Text("id"), call.Text("type")));
        Assert.Equal("get_weather", call.GetProperty("function").Text("name"));
        var arguments = Parse(call.GetProperty("function").Text("arguments"));
        Assert.Equal("Paris", arguments.Text("city"));
        Assert.Equal(2, arguments.GetProperty("days").GetArrayLength());
    }

    [Fact]
    public void Tool_results_take_the_id_of_the_call_with_their_tool_name_whatever_the_order()
    {
        var (_, body) = Chat("""
            {"model":"m","messages":[
              {"role":"user","content":"weather and time?"},
              {"role":"assistant","tool_calls":[
                {"function":{"name":"get_weather","arguments":{}}},
                {"function":{"name":"get_time","arguments":{}}}]},
              {"role":"tool","tool_name":"get_time","content":"12:00"},
              {"role":"tool","tool_name":"get_weather","content":"sunny"},
              {"role":"assistant","content":"It is sunny at noon."},
              {"role":"user","content":"and tomorrow?"},
              {"role":"assistant","tool_calls":[{"function":{"name":"get_weather","arguments":{"day":"tomorrow"}}}]},
              {"role":"tool","content":"rain"}]}
            """);

        var messages = body.GetProperty("messages");
        var firstCalls = messages[1].GetProperty("tool_calls");
        Assert.Equal(("call_0", "call_1"), (firstCalls[0].Text("id"), firstCalls[1].Text("id")));
        Assert.Equal("call_1", messages[2].Text("tool_call_id"));
        Assert.Equal("call_0", messages[3].Text("tool_call_id"));
        Assert.False(messages[4].Has("tool_call_id"));
        Assert.Equal("call_2", messages[6].GetProperty("tool_calls")[0].Text("id"));
        // No tool_name: the first unanswered call of the latest assistant turn.
        Assert.Equal("call_2", messages[7].Text("tool_call_id"));
    }

    [Fact]
    public void Tool_results_without_names_answer_the_calls_in_order()
    {
        var (_, body) = Chat("""
            {"model":"m","messages":[
              {"role":"assistant","tool_calls":[{"function":{"name":"a","arguments":{}}},{"function":{"name":"b","arguments":{}}}]},
              {"role":"tool","content":"1"},
              {"role":"tool","content":"2"}]}
            """);

        var messages = body.GetProperty("messages");
        Assert.Equal(("call_0", "call_1"), (messages[1].Text("tool_call_id"), messages[2].Text("tool_call_id")));
    }

    [Fact]
    public void Ids_the_client_sent_are_kept_on_both_sides()
    {
        var (_, body) = Chat("""
            {"model":"m","messages":[
              {"role":"assistant","tool_calls":[{"id":"call_abc","function":{"name":"a","arguments":"{\"x\":1}"}}]},
              {"role":"tool","tool_call_id":"call_abc","content":"1"}]}
            """);

        var messages = body.GetProperty("messages");
        var call = messages[0].GetProperty("tool_calls")[0];
        Assert.Equal("call_abc", call.Text("id"));
        Assert.Equal("""{"x":1}""", call.GetProperty("function").Text("arguments"));
        Assert.Equal("call_abc", messages[1].Text("tool_call_id"));
    }

    [Fact]
    public void Tools_are_carried_as_they_are_and_an_empty_list_is_dropped()
    {
        const string tool = """{"type":"function","function":{"name":"get_weather","description":"d","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}""";
        var (_, body) = Chat($$"""{"model":"m","tools":[{{tool}}],"messages":[{"role":"user","content":"x"}]}""");
        var (_, none) = Chat("""{"model":"m","tools":[],"messages":[{"role":"user","content":"x"}]}""");

        Assert.Equal(tool, body.GetProperty("tools")[0].GetRawText());
        Assert.False(none.Has("tools"));
    }

    [Fact]
    public void Format_json_asks_for_a_json_object()
    {
        var (_, body) = Chat("""{"model":"m","format":"json","messages":[{"role":"user","content":"x"}]}""");

        Assert.Equal("json_object", body.GetProperty("response_format").Text("type"));
    }

    [Fact]
    public void A_format_schema_becomes_a_json_schema_response_format_with_that_schema()
    {
        const string schema = """{"type":"object","properties":{"age":{"type":"integer"}},"required":["age"]}""";
        var (_, body) = Chat($$"""{"model":"m","format":{{schema}},"messages":[{"role":"user","content":"x"}]}""");

        var format = body.GetProperty("response_format");
        Assert.Equal("json_schema", format.Text("type"));
        Assert.Equal("response", format.GetProperty("json_schema").Text("name"));
        Assert.Equal(schema, format.GetProperty("json_schema").GetProperty("schema").GetRawText());
    }

    [Theory]
    [InlineData("\"yaml\"")]
    [InlineData("42")]
    [InlineData("[1]")]
    public void Any_other_format_is_a_400(string format)
    {
        var (request, _) = Chat($$"""{"model":"m","format":{{format}},"messages":[{"role":"user","content":"x"}]}""");

        Assert.Equal("format must be \"json\" or a JSON schema object", request.Problem);
    }

    [Fact]
    public void Sampling_options_map_onto_openai_fields_and_the_rest_is_dropped()
    {
        var (_, body) = Chat("""
            {"model":"m","messages":[{"role":"user","content":"x"}],"keep_alive":"5m","think":true,
             "options":{"temperature":0.7,"top_p":0.9,"top_k":40,"seed":42,"stop":["\n\n","END"],"num_predict":128,
                        "frequency_penalty":0.5,"presence_penalty":0.25,"repeat_penalty":1.1,"num_ctx":8192,"min_p":0.05}}
            """);

        Assert.Equal("0.7", body.GetProperty("temperature").GetRawText());
        Assert.Equal("0.9", body.GetProperty("top_p").GetRawText());
        Assert.Equal(40, body.GetProperty("top_k").GetInt32());
        Assert.Equal(42, body.GetProperty("seed").GetInt32());
        Assert.Equal(["\n\n", "END"], body.GetProperty("stop").EnumerateArray().Select(s => s.GetString()!));
        Assert.Equal(128, body.GetProperty("max_tokens").GetInt32());
        Assert.Equal("0.5", body.GetProperty("frequency_penalty").GetRawText());
        Assert.Equal("0.25", body.GetProperty("presence_penalty").GetRawText());
        foreach (var dropped in new[] { "repeat_penalty", "num_ctx", "min_p", "num_predict", "keep_alive", "think", "options" })
        {
            Assert.False(body.Has(dropped), dropped);
        }
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("-2")]
    [InlineData("0")]
    public void Num_predict_without_a_positive_limit_sets_no_max_tokens(string numPredict)
    {
        var (_, body) = Chat($$$"""{"model":"m","messages":[{"role":"user","content":"x"}],"options":{"num_predict":{{{numPredict}}}}}""");

        Assert.False(body.Has("max_tokens"));
    }

    [Fact]
    public void A_fractional_integer_option_is_truncated_and_a_single_stop_string_is_kept()
    {
        var (_, body) = Chat("""{"model":"m","messages":[{"role":"user","content":"x"}],"options":{"top_k":40.9,"stop":"END"}}""");

        Assert.Equal("40", body.GetProperty("top_k").GetRawText());
        Assert.Equal("END", body.Text("stop"));
    }

    [Fact]
    public void The_upstream_model_name_comes_from_the_mapping_while_the_request_keeps_the_clients()
    {
        var (request, body) = Chat("""{"messages":[{"role":"user","content":"x"}],"model":"fast"}""", model => model == "fast" ? "qwen2.5:7b" : model);

        Assert.Equal("fast", request.Model);
        Assert.Equal("qwen2.5:7b", body.Text("model"));
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"x"}]}""", "model is required")]
    [InlineData("""{"model":"","messages":[{"role":"user","content":"x"}]}""", "model is required")]
    [InlineData("""{"model":7,"messages":[]}""", "model must be a string")]
    [InlineData("""{"model":"m","messages":{"role":"user"}}""", "messages must be a list")]
    [InlineData("""{"model":"m","messages":["hi"]}""", "messages[0] must be an object")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"},{"content":"y"}]}""", "messages[1].role is required")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":["x"]}]}""", "messages[0].content must be a string")]
    [InlineData("""{"model":"m","messages":[{"role":"user","images":"abc"}]}""", "messages[0].images must be a list")]
    [InlineData("""{"model":"m","messages":[{"role":"assistant","tool_calls":[{"function":{"arguments":{}}}]}]}""", "messages[0].tool_calls[0].function.name is required")]
    [InlineData("""{"model":"m","messages":[{"role":"assistant","tool_calls":[{"function":{"name":"a","arguments":[1]}}]}]}""", "messages[0].tool_calls[0].function.arguments must be an object")]
    [InlineData("""{"model":"m","messages":[{"role":"assistant","tool_calls":[7]}]}""", "messages[0].tool_calls[0] must be an object")]
    [InlineData("""{"model":"m","stream":"yes","messages":[]}""", "stream must be a boolean")]
    [InlineData("""{"model":"m","options":{"temperature":"hot"},"messages":[]}""", "options.temperature must be a number")]
    [InlineData("""{"model":"m","options":{"stop":[1]},"messages":[]}""", "options.stop must be a list of strings")]
    [InlineData("""{"model":"m","options":[],"messages":[]}""", "options must be an object")]
    [InlineData("""{"model":"m","tools":{},"messages":[]}""", "tools must be a list")]
    [InlineData("""[1,2]""", "request body must be a JSON object")]
    [InlineData("", "missing request body")]
    public void A_body_it_cannot_carry_is_a_400_naming_the_field(string json, string problem)
    {
        var (request, _) = Chat(json);

        Assert.Equal(OllamaRequestKind.Invalid, request.Kind);
        Assert.Equal(problem, request.Problem);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[""")]
    [InlineData("""{"model":"m"} trailing""")]
    [InlineData("""{"model":"m",}""")]
    public void Malformed_json_is_a_400_that_says_so(string json)
    {
        var (request, _) = Chat(json);

        Assert.Equal(OllamaRequestKind.Invalid, request.Kind);
        Assert.StartsWith("invalid JSON body: ", request.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_a_400()
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        byte[] body = [.. """{"model":"m","messages":[{"role":"user","content":" """u8, 0xC3, 0x28, .. "\"}]}"u8];

        var request = OllamaChatRequestTranslator.Translate(body, output);

        Assert.Equal("request body is not valid UTF-8", request.Problem);
    }

    [Theory]
    [InlineData("""{"model":"m"}""", "Load")]
    [InlineData("""{"model":"m","messages":[]}""", "Load")]
    [InlineData("""{"model":"m","messages":[],"keep_alive":0}""", "Unload")]
    [InlineData("""{"model":"m","messages":[],"keep_alive":"0s"}""", "Unload")]
    [InlineData("""{"model":"m","messages":[],"keep_alive":"0"}""", "Unload")]
    [InlineData("""{"model":"m","messages":[],"keep_alive":"5m"}""", "Load")]
    [InlineData("""{"model":"m","messages":[],"keep_alive":-1}""", "Load")]
    public void A_chat_without_messages_is_the_load_call_and_keep_alive_zero_the_unload_call(string json, string kind)
    {
        var (request, _) = Chat(json);

        Assert.Equal(Enum.Parse<OllamaRequestKind>(kind), request.Kind);
        Assert.Equal("m", request.Model);
    }

    [Fact]
    public void Lone_surrogate_escapes_anywhere_are_carried_or_ignored_never_thrown()
    {
        var (request, body) = Chat("""
            {"model":"m\ud800","\udc00x":1,"messages":[
              {"role":"assistant","tool_calls":[{"function":{"name":"f\ud800","arguments":{"k":"\udfff"}}}]},
              {"role":"tool","tool_name":"f\ud800","content":"a\ud800b"}]}
            """);

        Assert.Equal(OllamaRequestKind.Upstream, request.Kind);
        Assert.Equal("m\uFFFD", request.Model);
        Assert.Equal("call_0", body.GetProperty("messages")[1].Text("tool_call_id"));
        Assert.Contains("\\ud800", body.GetProperty("messages")[1].GetProperty("content").GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_fields_anywhere_are_dropped_not_rejected()
    {
        var (request, body) = Chat("""
            {"model":"m","truncate":true,"shift":false,"logprobs":true,"messages":[{"role":"user","content":"x","extra":{"a":[1]}}]}
            """);

        Assert.Equal(OllamaRequestKind.Upstream, request.Kind);
        Assert.Equal(["messages", "stream", "stream_options", "model"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["role", "content"], body.GetProperty("messages")[0].EnumerateObject().Select(p => p.Name));
    }
}
