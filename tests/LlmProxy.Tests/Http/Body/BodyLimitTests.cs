using System.Net;
using System.Net.Http.Headers;
using LlmProxy.Configuration;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Http.Body;

public class BodyLimitTests
{
    /// <summary>A body whose length is not known up front (HttpClient sends it chunked over HTTP/1.1).</summary>
    private sealed class UnknownLengthContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private static HttpRequestMessage Chunked(string path, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new UnknownLengthContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer test");
        return request;
    }

    [Theory]
    [InlineData("/proxy")]
    [InlineData("/proxy/stream")]
    public async Task A_body_without_length_is_cut_at_the_limit_with_413(string path)
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { MaxRequestBytes = 64 });
        var body = System.Text.Encoding.UTF8.GetBytes(Requests.ValidChat + new string(' ', 200));
        using var response = await proxy.Client.SendAsync(Chunked(path, body));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("Payload Too Large", (await Requests.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_body_without_length_at_the_limit_is_accepted()
    {
        var body = System.Text.Encoding.UTF8.GetBytes(Requests.ValidChat);
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { MaxRequestBytes = body.Length });
        using var response = await proxy.Client.SendAsync(Chunked("/proxy", body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_declared_length_over_the_limit_is_refused_by_the_edge_naming_both_sizes()
    {
        // The detail naming the declared size comes only from the edge's Content-Length check, which runs before any
        // handler reads the body (the E2E test proves "before" on a real socket by never sending the body).
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { MaxRequestBytes = 64 });
        using var response = await proxy.Client.SendAsync(Requests.PostBytes("/proxy", new byte[1000]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var detail = (await Requests.JsonAsync(response)).GetProperty("detail").GetString();
        Assert.Equal("Request body of 1000 bytes is larger than the limit of 64 bytes", detail);
    }

    [Fact]
    public void The_built_in_ceiling_applies_when_the_setting_is_zero()
    {
        Assert.Equal(30_000_000, new ProxySettings().EffectiveMaxRequestBytes);
        Assert.Equal(64, new ProxySettings { MaxRequestBytes = 64 }.EffectiveMaxRequestBytes);
    }
}
