using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Http;

public class ErrorsAndRequestIdTests
{
    private static readonly Action<WebApplication> ThrowingEndpoint = app =>
    {
        app.MapGet("/test/throw", (HttpContext _) => throw new InvalidOperationException("secret internals at Foo.Bar() line 42"));
        app.MapGet("/v1/test/throw", (HttpContext _) => throw new InvalidOperationException("boom"));
    };

    [Fact]
    public async Task An_unhandled_exception_is_a_500_with_request_id_and_no_stack_trace()
    {
        await using var proxy = await TestProxy.StartAsync(configureEndpoints: ThrowingEndpoint);
        using var response = await proxy.Client.GetAsync("/test/throw");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret internals", text, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", text, StringComparison.Ordinal);
        var body = await Requests.JsonAsync(response);
        Assert.Equal("Internal Server Error", body.GetProperty("error").GetString());
        Assert.Equal(Requests.RequestId(response), body.GetProperty("request_id").GetString());
        Assert.False(body.TryGetProperty("detail", out _));
    }

    [Fact]
    public async Task An_unhandled_exception_under_v1_is_an_openai_envelope()
    {
        await using var proxy = await TestProxy.StartAsync(configureEndpoints: ThrowingEndpoint);
        using var response = await proxy.Client.GetAsync("/v1/test/throw");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = (await Requests.JsonAsync(response)).GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, error.GetProperty("code").ValueKind);
    }

    [Fact]
    public async Task Unknown_route_is_404_and_wrong_method_is_405_both_with_ids_and_bodies()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var notFound = await proxy.Client.GetAsync("/nope");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        var body = await Requests.JsonAsync(notFound);
        Assert.Equal("Not Found", body.GetProperty("error").GetString());
        Assert.Equal(Requests.RequestId(notFound), body.GetProperty("request_id").GetString());

        using var wrongMethod = await proxy.Client.GetAsync("/proxy");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal("Method Not Allowed", (await Requests.JsonAsync(wrongMethod)).GetProperty("error").GetString());
        Assert.NotEmpty(Requests.RequestId(wrongMethod));
    }

    [Fact]
    public async Task Over_the_body_limit_is_413_with_an_id()
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { MaxRequestBytes = 64 });
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat + new string(' ', 100)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var body = await Requests.JsonAsync(response);
        Assert.Equal("Payload Too Large", body.GetProperty("error").GetString());
        Assert.Equal(Requests.RequestId(response), body.GetProperty("request_id").GetString());
    }

    [Theory]
    [InlineData("abc-123", true)]
    [InlineData("Trace.ID_42:x", true)]
    [InlineData("has space", false)]
    [InlineData("ünïcode", false)]
    [InlineData("", false)]
    public async Task An_acceptable_inbound_request_id_is_kept_and_others_replaced(string inbound, bool kept)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.TryAddWithoutValidation("x-request-id", inbound);
        using var response = await proxy.Client.SendAsync(request);
        var id = Requests.RequestId(response);
        if (kept)
        {
            Assert.Equal(inbound, id);
        }
        else
        {
            Assert.NotEqual(inbound, id);
            Assert.True(RequestIds.IsAcceptable(id));
        }
    }

    [Fact]
    public void Request_ids_longer_than_128_or_with_control_characters_are_rejected()
    {
        Assert.True(RequestIds.IsAcceptable(new string('a', 128)));
        Assert.False(RequestIds.IsAcceptable(new string('a', 129)));
        Assert.False(RequestIds.IsAcceptable("a\r\nSet-Cookie: x"));
        Assert.Equal(32, RequestIds.New().Length);
    }

    [Fact]
    public async Task Generated_request_ids_are_32_lower_case_hex_digits_and_never_repeat_across_batches_and_threads()
    {
        // 1,000 ids per thread spans several 256-id random batches; four threads draw from their own batches.
        var perThread = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 1000).Select(_ => RequestIds.New()).ToArray())));
        var all = perThread.SelectMany(ids => ids).ToArray();
        Assert.All(all, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.Equal(all.Length, all.Distinct(StringComparer.Ordinal).Count());
    }
}
