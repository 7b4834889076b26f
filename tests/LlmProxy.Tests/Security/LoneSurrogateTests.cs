using System.Net;
using LlmProxy.Tests.Support;
using LlmProxy.Tests.Upstreams;

namespace LlmProxy.Tests.Security;

/// <summary>
/// No input makes a 500 (docs/security.md): a lone surrogate escape such as <c>"\ud800"</c> is valid JSON but no valid
/// text, and the framework's string calls throw on it. From a client it is a 4xx or it passes; from an upstream it is
/// a relayed status, U+FFFD in normalised text, or a stream that still ends in <c>[DONE]</c>.
/// </summary>
public class LoneSurrogateTests
{
    [Theory]
    [InlineData("""{"model":"\ud800","messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"model":"a\udc00b","messages":[]}""")]
    public async Task A_v1_model_with_a_lone_surrogate_is_400_naming_the_model(string body)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions", body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Requests.JsonAsync(response)).GetProperty("error");
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Contains("lone surrogate", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"\udc00":1,"model":"m","messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"\udc00 two words"}]}""")]
    [InlineData("""{"model":"m","messages":[{"\ud800":"x","role":"user","content":"hi"}],"stream_options":{"\ud800":true}}""")]
    [InlineData("""{"model":"m","stream":true,"stream_options":{"\udfff":1,"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""")]
    public async Task Lone_surrogates_elsewhere_in_a_v1_body_are_passed_on_and_the_stub_answers(string body)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions", body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("stub", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"\udc00":1,"model":"m","messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","\ud800":1,"content":"hi"}]}""")]
    [InlineData("""{"model":"m","\udc00model":1,"messages":[{"\ud800role":1,"role":"user","content":"hi"}]}""")]
    public async Task A_classic_body_with_a_lone_surrogate_in_a_field_name_treats_it_as_an_unknown_field(string body)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"model":"\ud800","messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"m","messages":[{"role":"\udfff","content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"\udc00"}]}""", "messages[0].content")]
    public async Task A_classic_value_with_a_lone_surrogate_is_422_naming_the_field(string body, string loc)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", body));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problems = (await Requests.JsonAsync(response)).GetProperty("detail").EnumerateArray().Select(p => p.GetProperty("loc").GetString()).ToList();
        Assert.Contains(loc, problems);
    }

    [Fact]
    public async Task Millions_of_wrong_messages_get_a_capped_list_of_problems()
    {
        var body = "{\"model\":\"m\",\"messages\":[" + string.Join(',', Enumerable.Repeat("0", 200_000)) + "]}";
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", body));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var detail = (await Requests.JsonAsync(response)).GetProperty("detail");
        Assert.Equal(101, detail.GetArrayLength());
        Assert.Equal("too_many_problems", detail[100].GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("v1/chat/completions")]
    [InlineData("proxy")]
    public async Task An_upstream_error_body_with_lone_surrogates_keeps_its_status(string path)
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 400,
            """{"\udc00":1,"error":{"message":"bad \ud800 input","type":"invalid_request_error","code":"x\udfff"}}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        using var response = await proxy.Client.SendAsync(Requests.Post(path, """{"model":"m","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("bad", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        upstream.Handler = context => UpstreamErrorMappingTests.Answer(context, 401, """{"error":"key \ud800 refused"}""");
        using var second = await proxy.Client.SendAsync(Requests.Post(path, """{"model":"m","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        var json = await Requests.JsonAsync(second);
        var message = path == "proxy" ? json.GetProperty("detail").GetString() : json.GetProperty("error").GetProperty("message").GetString();
        Assert.Equal("key \uFFFD refused", message);
    }

    [Theory]
    // A split emoji (a high surrogate alone) in the content becomes U+FFFD.
    [InlineData("""{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok \ud83d"},"finish_reason":"stop"}]}""", "ok \uFFFD")]
    // A lone surrogate in a field name is normalised like any other; the content is untouched.
    [InlineData("""{"\udc00":1,"choices":[{"index":0,"message":{"role":"assistant","content":"x"}}]}""", "x")]
    public async Task A_classic_answer_with_a_lone_surrogate_is_normalised_with_a_replacement_character(string answer, string expectedContent)
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200, answer));
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        using var response = await proxy.Client.SendAsync(Requests.Post("proxy", """{"model":"m","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var content = (await Requests.JsonAsync(response)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        Assert.Equal(expectedContent, content);
    }

    [Theory]
    [InlineData("v1/chat/completions", """{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("proxy/stream", """{"model":"m","messages":[{"role":"user","content":"hi"}]}""")]
    public async Task Stream_events_with_lone_surrogates_are_relayed_and_the_stream_ends_with_one_done(string path, string body)
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Sse.Chunk("a"));
            // A name with a lone surrogate next to "error" and "usage": the relay's own look into events must not throw.
            await Sse.WriteEventAsync(context, """{"\ud800":1,"error_rate":"\udc00","usage_note":1,"choices":[{"index":0,"delta":{"content":"\ud800"}}]}""");
            await Sse.WriteEventAsync(context, """{"\udc00":{"error":1},"usage":{"\ud800":1,"prompt_tokens":3,"completion_tokens":4}}""");
            await Sse.WriteEventAsync(context, "[DONE]");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        using var response = await proxy.Client.SendAsync(Requests.Post(path, body), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await Sse.ReadAllEventsAsync(response);
        Assert.Equal(4, events.Count);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Contains("\\ud800", events[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_error_event_with_lone_surrogates_becomes_the_error_event_then_done()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Sse.Chunk("a"));
            await Sse.WriteEventAsync(context, """{"\udc00":1,"error":{"message":"broke \ud800 here","code":"\udc00"}}""");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        using var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", """{"model":"m","stream":true,"messages":[]}"""),
            HttpCompletionOption.ResponseHeadersRead);
        var events = await Sse.ReadAllEventsAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Contains("broke", events[^2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_list_with_a_lone_surrogate_id_skips_that_entry()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200,
            """{"object":"list","data":[{"id":"\ud800"},{"id":"llama3","owned_by":"me\udc00"}]}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        using var response = await proxy.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/models") { Headers = { { "Authorization", "Bearer t" } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await Requests.JsonAsync(response)).GetProperty("data");
        Assert.Equal(["llama3"], data.EnumerateArray().Select(e => e.GetProperty("id").GetString()));
        Assert.Equal("me\uFFFD", data[0].GetProperty("owned_by").GetString());
    }
}
