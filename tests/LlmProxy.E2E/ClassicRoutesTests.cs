using System.Net;
using System.Text.Json;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>/healthz, the classic routes and their errors (docs/api.md) against the real binary (AOT: serialization and routing as shipped).</summary>
public class ClassicRoutesTests
{
    [Fact]
    public async Task Healthz_proxy_and_stream_behave_as_the_contract_says()
    {
        await using var proxy = await ProxyProcess.StartAsync();

        using var health = await proxy.Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var healthBody = await Http.JsonAsync(health);
        Assert.Equal("ok", healthBody.GetProperty("status").GetString());
        Assert.Equal("0.1.0", healthBody.GetProperty("version").GetString());
        Assert.NotEmpty(Http.RequestId(health));

        using var chat = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        var completion = await Http.JsonAsync(chat);
        Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
        Assert.Equal("stub response", completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());

        using var stream = await proxy.Client.SendAsync(Http.Post("proxy/stream", Http.ValidChat));
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        var events = Http.SseData(await stream.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal(1, events.Count(e => e == "[DONE]"));
        var text = string.Concat(events[..^1].Select(e =>
        {
            using var doc = JsonDocument.Parse(e);
            return doc.RootElement.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var c) ? c.GetString() : "";
        }));
        Assert.Equal("stub response", text);

        using var unauthorized = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat, authorization: null));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("Unauthorized", (await Http.JsonAsync(unauthorized)).GetProperty("error").GetString());

        using var invalid = await proxy.Client.SendAsync(Http.Post("proxy", """{"model":"m","messages":[{"role":"bot","content":""}]}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        var problems = (await Http.JsonAsync(invalid)).GetProperty("detail");
        Assert.Equal(2, problems.GetArrayLength());

        using var notFound = await proxy.Client.GetAsync("no/such/route");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal(Http.RequestId(notFound), (await Http.JsonAsync(notFound)).GetProperty("request_id").GetString());

        using var wrongMethod = await proxy.Client.DeleteAsync("proxy");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.NotEmpty(Http.RequestId(wrongMethod));
    }

    [Fact]
    public async Task Over_the_body_limit_is_413_before_the_body_is_read()
    {
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string> { ["MAX_REQUEST_BYTES"] = "100" });
        using var tooBig = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat + new string(' ', 200)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        Assert.Equal("Payload Too Large", (await Http.JsonAsync(tooBig)).GetProperty("error").GetString());
        Assert.NotEmpty(Http.RequestId(tooBig));
        using var fine = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat));
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
    }
}
