using System.Text;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E.Support;

/// <summary>
/// One proxy process (ollama provider, UPSTREAM_TIMEOUT_SECONDS=2) in front of one fake upstream whose
/// <see cref="FakeUpstream.Handler"/> each test replaces with the fault it injects; tests in a class run one at a time.
/// </summary>
public sealed class FaultyUpstreamFixture : IAsyncLifetime
{
    public const int IdleTimeoutSeconds = 2;

    private FakeUpstream? _upstream;
    private ProxyProcess? _proxy;

    public FakeUpstream Upstream => _upstream ?? throw new InvalidOperationException("not started");
    public ProxyProcess Proxy => _proxy ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        _proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = _upstream.BaseUrl.ToString().TrimEnd('/'),
            ["UPSTREAM_TIMEOUT_SECONDS"] = IdleTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }
        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }
    }

    /// <summary>After a fault: the process is alive and a normal request on every route succeeds.</summary>
    public async Task AssertStillServesAsync()
    {
        Upstream.Handler = HealthyAsync;
        Assert.False(Proxy.HasExited, "the proxy process died");
        foreach (var route in ChatRoute.All)
        {
            var answer = await route.SendAsync(Proxy.Client);
            if (route.Stream)
            {
                ContractAssert.StreamCompletes(answer, "fine again");
            }
            else
            {
                Assert.True(answer.Status == 200 && answer.Body.Contains("\"fine again\"", StringComparison.Ordinal), answer.ToString());
            }
        }
    }

    /// <summary>A healthy model server: a completion, or two chunks and [DONE] when the request asked to stream.</summary>
    public Task HealthyAsync(HttpContext context)
    {
        if (AskedToStream(context))
        {
            context.Response.ContentType = "text/event-stream";
            return context.Response.WriteAsync($"data: {Chunk("fine ")}\n\ndata: {Chunk("again")}\n\ndata: [DONE]\n\n");
        }
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(
            """{"id":"x","object":"chat.completion","created":1,"model":"llama3","choices":[{"index":0,"message":{"role":"assistant","content":"fine again"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}""");
    }

    /// <summary>Whether the request being answered (found among the recorded ones by its x-request-id) asked to stream.</summary>
    public bool AskedToStream(HttpContext context)
    {
        var id = context.Request.Headers["x-request-id"].ToString();
        var body = Encoding.UTF8.GetString(Upstream.Requests.Last(r => r.Headers.GetValueOrDefault("x-request-id") == id).Body);
        return body.Contains("\"stream\":true", StringComparison.Ordinal);
    }

    public static string Chunk(string content) =>
        $$"""{"id":"c","object":"chat.completion.chunk","created":1,"model":"llama3","choices":[{"index":0,"delta":{"content":"{{content}}"},"finish_reason":null}]}""";
}
