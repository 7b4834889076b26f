using System.Net;
using System.Text;
using LlmProxy.Configuration;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Upstreams;

/// <summary>docs/api.md, OpenAI routes and Upstream requests: bytes forwarded as sent, the upstream's own Host, header hygiene, auth precedence.</summary>
public class PassThroughTests
{
    // Unknown fields, odd spacing, escapes, key order, numbers the way the client wrote them: all must survive.
    private const string OddBody = "{ \"temperature\" : 0.70,\"model\":\"llama3\",\n  \"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{}}}],"
        + "\"response_format\":{\"type\":\"json_object\"},\"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9 \u2603 \\\"q\\\"\"}],\"top_k\":1e3 }";

    [Fact]
    public async Task A_chat_body_with_extra_fields_arrives_upstream_byte_identical_and_the_answer_comes_back_as_sent()
    {
        const string answer = "{\"id\":\"x\",  \"object\":\"chat.completion\",\"choices\":[],\"system_fingerprint\":\"fp\"}";
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200, answer));
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        var sent = Encoding.UTF8.GetBytes(OddBody);
        using var response = await proxy.Client.SendAsync(Requests.PostBytes("v1/chat/completions", sent));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(answer, await response.Content.ReadAsStringAsync());
        var received = upstream.Requests.Single();
        Assert.Equal("/v1/chat/completions", received.Path);
        Assert.Equal(sent, received.Body);
    }

    [Theory]
    [InlineData("v1/embeddings", "/v1/embeddings", """{"model":"nomic-embed-text","input":["a","b"],"encoding_format":"float"}""")]
    [InlineData("v1/completions", "/v1/completions", """{"model":"llama3","prompt":"Once upon","max_tokens":5,"echo":false}""")]
    public async Task Embeddings_and_completions_go_to_their_upstream_path_unchanged(string route, string upstreamPath, string body)
    {
        const string answer = """{"object":"list","data":[],"usage":{"prompt_tokens":2,"total_tokens":2}}""";
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200, answer));
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(Requests.Post(route, body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(answer, await response.Content.ReadAsStringAsync());
        var received = upstream.Requests.Single();
        Assert.Equal(upstreamPath, received.Path);
        Assert.Equal(body, Encoding.UTF8.GetString(received.Body));
    }

    [Fact]
    public async Task The_upstream_gets_only_the_allowed_client_headers_its_own_Host_and_the_request_id()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200, """{"object":"list","data":[]}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        // Raw HTTP/1.1: HttpClient would rewrite Connection to "keep-alive" and drop the custom token this test needs.
        const string body = """{"model":"e","input":"x"}""";
        var raw = "POST /v1/embeddings HTTP/1.1\r\n"
            + "Host: localhost\r\n"
            + "Authorization: Bearer client-token\r\n"
            + "Content-Type: application/json\r\n"
            + $"Content-Length: {body.Length}\r\n"
            + "Origin: http://evil.example\r\n"
            + "Connection: X-Hop\r\n"
            + "X-Hop: drop me\r\n"
            + "Keep-Alive: timeout=5\r\n"
            + "Proxy-Authorization: Basic c2VjcmV0\r\n"
            + "TE: trailers\r\n"
            + "x-request-id: trace-42\r\n"
            + "OpenAI-Organization: org-1\r\n"
            + "User-Agent: test-sdk/1.0\r\n"
            + "Forwarded: for=10.9.9.9\r\n"
            + "X-Forwarded-For: 10.9.9.9\r\n"
            + "X-Forwarded-Host: internal.example\r\n"
            + "X-Real-IP: 10.9.9.9\r\n"
            + "Proxy-Foo: bar\r\n"
            + "X-HTTP-Method-Override: DELETE\r\n"
            + "Content-Encoding: gzip\r\n"
            + "Cookie: session=1\r\n"
            + "X-Custom: anything\r\n"
            + "\r\n" + body;
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, proxy.BaseUrl.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(raw));
            var reader = new StreamReader(stream, Encoding.ASCII);
            Assert.Equal("HTTP/1.1 200 OK", await reader.ReadLineAsync());
        }

        var headers = upstream.Requests.Single().Headers;
        Assert.Equal(upstream.Root.Authority, headers["Host"]);
        Assert.False(headers.ContainsKey("Origin"));
        Assert.False(headers.ContainsKey("X-Hop"));
        Assert.False(headers.ContainsKey("TE"));
        Assert.False(headers.ContainsKey("Keep-Alive"));
        Assert.False(headers.ContainsKey("Proxy-Authorization"));
        // An allow-list: nothing a client could use to lie about where the request came from or what it is.
        foreach (var dropped in new[] { "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP", "Proxy-Foo", "X-HTTP-Method-Override", "Content-Encoding", "Cookie", "X-Custom" })
        {
            Assert.False(headers.ContainsKey(dropped), dropped + " reached the upstream");
        }
        Assert.Equal("test-sdk/1.0", headers["User-Agent"]);
        Assert.Equal("application/json", headers["Content-Type"]);
        Assert.Equal("trace-42", headers["x-request-id"]);
        Assert.Equal("org-1", headers["OpenAI-Organization"]);
        // Default auth mode: the client's Authorization is forwarded.
        Assert.Equal("Bearer client-token", headers["Authorization"]);
    }

    [Fact]
    public async Task In_key_mode_the_client_key_is_not_forwarded_and_OPENAI_COMPAT_API_KEY_is_sent_instead()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200, """{"object":"list","data":[]}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { ApiKeys = ["proxy-key"], OpenAiCompatApiKey = "upstream-secret" });

        using var response = await proxy.Client.SendAsync(Requests.Post("v1/embeddings", """{"model":"e","input":"x"}""", authorization: "Bearer proxy-key"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer upstream-secret", upstream.Requests.Single().Headers["Authorization"]);
    }

    [Fact]
    public async Task In_key_mode_without_an_upstream_key_no_Authorization_reaches_the_upstream()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200, """{"object":"list","data":[]}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { ApiKeys = ["proxy-key"] });

        using var response = await proxy.Client.SendAsync(Requests.Post("v1/embeddings", """{"model":"e","input":"x"}""", authorization: "Bearer proxy-key"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(upstream.Requests.Single().Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task Proxy_normalises_a_sparse_upstream_completion()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200,
            """{"choices":[{"message":{"content":"hi there"},"finish_reason":"stop"}]}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(Requests.Post("proxy", """{"model":"llama3","messages":[{"role":"user","content":"hello"}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Requests.JsonAsync(response);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.Equal("llama3", body.GetProperty("model").GetString());
        Assert.StartsWith("chatcmpl-", body.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.True(body.GetProperty("created").GetInt64() > 1_600_000_000);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("hi there", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(0, body.GetProperty("usage").GetProperty("total_tokens").GetInt32());

        // What the classic route sent upstream: its model and messages, stream false.
        var sent = Encoding.UTF8.GetString(upstream.Requests.Single().Body);
        Assert.Equal("""{"model":"llama3","messages":[{"role":"user","content":"hello"}],"stream":false}""", sent);
    }
}
