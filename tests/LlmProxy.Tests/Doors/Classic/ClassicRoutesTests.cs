using System.Net;
using System.Text.Json;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Doors.Classic;

/// <summary>The classic routes, /proxy and /proxy/stream (docs/api.md, Classic routes), on the test server.</summary>
public class ClassicRoutesTests
{
    [Fact]
    public async Task Proxy_answers_a_chat_completion_from_the_stub()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Requests.JsonAsync(response);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.Equal("my-model", body.GetProperty("model").GetString());
        Assert.StartsWith("chatcmpl-", body.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.True(body.GetProperty("created").GetInt64() > 1_700_000_000);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("stub response", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        var usage = body.GetProperty("usage");
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Stream_sends_chunks_whose_deltas_make_the_stub_text_then_one_done()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy/stream", Requests.ValidChat));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        var events = Requests.SseData(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        Assert.Single(events, e => e == "[DONE]");
        var text = "";
        foreach (var data in events[..^1])
        {
            using var chunk = JsonDocument.Parse(data);
            Assert.Equal("chat.completion.chunk", chunk.RootElement.GetProperty("object").GetString());
            if (chunk.RootElement.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var content))
            {
                text += content.GetString();
            }
        }
        Assert.Equal("stub response", text);
    }

    [Theory]
    [InlineData("/proxy")]
    [InlineData("/proxy/stream")]
    public async Task Without_authorization_the_answer_is_401_in_the_classic_error_shape(string path)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post(path, Requests.ValidChat, authorization: null));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await Requests.JsonAsync(response);
        Assert.Equal("Unauthorized", body.GetProperty("error").GetString());
        Assert.Equal(Requests.RequestId(response), body.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task Validation_lists_every_problem_with_422()
    {
        await using var proxy = await TestProxy.StartAsync();
        const string bad = """{"model":"","messages":[{"role":"robot","content":"x"},{"role":"user","content":""},{"role":"user"},{"role":"assistant","content":"last"}]}""";
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", bad));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var body = await Requests.JsonAsync(response);
        Assert.Equal("Validation Error", body.GetProperty("error").GetString());
        var locs = body.GetProperty("detail").EnumerateArray().Select(p => p.GetProperty("loc").GetString()).ToList();
        Assert.Equal(["model", "messages[0].role", "messages[1].content", "messages[2].content", "messages[3].role"], locs);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[]}""", "messages")]
    [InlineData("""{"model":"m"}""", "messages")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"m","messages":"hello"}""", "messages")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":42}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":["a"]}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"assistant","content":"x"}]}""", "messages[0].role")]
    [InlineData("""[{"model":"m"}]""", "body")]
    [InlineData("\"just a string\"", "body")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"\ud800"}]}""", "messages[0].content")]
    [InlineData("""{"model":"\udfff","messages":[{"role":"user","content":"x"}]}""", "model")]
    public async Task Each_rule_is_enforced(string body, string loc)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", body));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var json = await Requests.JsonAsync(response);
        Assert.Contains(json.GetProperty("detail").EnumerateArray(), p => p.GetProperty("loc").GetString() == loc);
    }

    [Fact]
    public async Task System_last_is_allowed()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", """{"model":"m","messages":[{"role":"user","content":"a"},{"role":"system","content":"b"}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("{not json", "application/json", 400)]
    [InlineData("{\"model\":\"m\",", "application/json", 400)]
    [InlineData("", "application/json", 400)]
    [InlineData(Requests.ValidChat, "text/plain", 415)]
    [InlineData(Requests.ValidChat, null, 415)]
    public async Task Malformed_bodies_and_content_types_are_client_errors(string body, string? contentType, int status)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", body, contentType));
        Assert.Equal(status, (int)response.StatusCode);
        var json = await Requests.JsonAsync(response);
        Assert.False(string.IsNullOrEmpty(json.GetProperty("detail").GetString()));
        Assert.Equal(Requests.RequestId(response), json.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task Invalid_utf8_and_deep_nesting_are_400()
    {
        await using var proxy = await TestProxy.StartAsync();
        byte[] invalidUtf8 = [.. "{\"model\":\""u8, 0xC3, 0x28, .. "\",\"messages\":[]}"u8];
        using var r1 = await proxy.Client.SendAsync(Requests.PostBytes("/proxy", invalidUtf8));
        Assert.Equal(HttpStatusCode.BadRequest, r1.StatusCode);
        var deep = new string('[', 100_000) + new string(']', 100_000);
        using var r2 = await proxy.Client.SendAsync(Requests.Post("/proxy", deep));
        Assert.Equal(HttpStatusCode.BadRequest, r2.StatusCode);
        Assert.Contains("depth", (await Requests.JsonAsync(r2)).GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }
}
