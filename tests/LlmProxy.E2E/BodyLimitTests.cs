using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>MAX_REQUEST_BYTES on real Kestrel (docs/api.md, Body limit): refused before reading, cut at the limit.</summary>
public class BodyLimitTests
{
    private static readonly Dictionary<string, string> Limit1K = new() { ["MAX_REQUEST_BYTES"] = "1024" };

    [Theory]
    [InlineData("1024", "2048")]
    [InlineData("1024", "10000000000")]
    [InlineData("0", "30000001")]
    public async Task A_declared_length_over_the_limit_is_413_at_once_without_the_body_being_sent(string limit, string declared)
    {
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string> { ["MAX_REQUEST_BYTES"] = limit });
        await using var raw = await RawHttp.ConnectAsync(proxy.Port);
        var clock = Stopwatch.StartNew();
        // Only the head and 10 bytes of the announced body are ever sent: an answer proves nothing waited for the rest.
        await raw.SendAsync($"POST /proxy HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n{{\"model\":1");
        var (status, head, body) = await raw.ReadResponseAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(413, status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"413 took {clock.Elapsed}");
        Assert.Contains("Connection: close", head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Payload Too Large", body, StringComparison.Ordinal);
        Assert.Contains(declared, body, StringComparison.Ordinal);
        Assert.False(proxy.HasExited);
    }

    [Fact]
    public async Task A_chunked_body_is_cut_at_the_limit_with_413_before_it_ends()
    {
        await using var proxy = await ProxyProcess.StartAsync(Limit1K);
        await using var raw = await RawHttp.ConnectAsync(proxy.Port);
        await raw.SendAsync("POST /proxy HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        var chunk = new string(' ', 400);
        for (var i = 0; i < 4; i++)
        {
            // 1,600 bytes in four chunks; the terminating zero-length chunk is never sent.
            await raw.SendAsync($"{chunk.Length:x}\r\n{chunk}\r\n");
        }
        var (status, _, body) = await raw.ReadResponseAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(413, status);
        Assert.Contains("Payload Too Large", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("proxy", 2048, 413)]
    [InlineData("proxy/stream", 2048, 413)]
    [InlineData("proxy", 0, 200)]
    public async Task A_chunked_body_through_httpclient_is_judged_by_its_real_size(string path, int padding, int expected)
    {
        await using var proxy = await ProxyProcess.StartAsync(Limit1K);
        var bytes = Encoding.UTF8.GetBytes(Http.ValidChat.Replace("hello", "hello" + new string('x', padding), StringComparison.Ordinal));
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new UnknownLengthContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer t");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Null(request.Content.Headers.ContentLength);
        if (expected == 413)
        {
            var json = await Http.JsonAsync(response);
            Assert.Equal("Payload Too Large", json.GetProperty("error").GetString());
            Assert.Equal(Http.RequestId(response), json.GetProperty("request_id").GetString());
        }
        using var health = await proxy.Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private sealed class UnknownLengthContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
