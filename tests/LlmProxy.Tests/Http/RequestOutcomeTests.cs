using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Routing;
using LlmProxy.Tests.Support;
using Microsoft.AspNetCore.Http.Features;

namespace LlmProxy.Tests.Http;

public class RequestOutcomeTests
{
    private const string StreamBody = """{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""";

    /// <summary>A request lifetime whose abort cancels <see cref="RequestAborted"/>, as Kestrel's does.</summary>
    private sealed class Lifetime : IHttpRequestLifetimeFeature
    {
        private readonly CancellationTokenSource _aborted = new();

        public CancellationToken RequestAborted { get => _aborted.Token; set { } }

        public void Abort() => _aborted.Cancel();
    }

    private static DefaultHttpContext Context(out Lifetime lifetime)
    {
        var context = new DefaultHttpContext();
        lifetime = new Lifetime();
        context.Features.Set<IHttpRequestLifetimeFeature>(lifetime);
        return context;
    }

    [Fact]
    public void A_client_that_left_is_499_even_after_the_200_went_out()
    {
        var context = Context(out var lifetime);
        context.Response.StatusCode = 200;
        lifetime.Abort();

        var outcome = RequestOutcome.Of(context);
        outcome.Complete(context);

        Assert.Equal(RequestOutcome.ClientClosedRequest, outcome.Status);
    }

    [Fact]
    public void A_connection_the_proxy_cut_keeps_the_status_it_sent()
    {
        var context = Context(out _);
        context.Response.StatusCode = 200;
        var outcome = RequestOutcome.Of(context);

        outcome.CutConnection(context);
        outcome.Complete(context);

        Assert.True(context.RequestAborted.IsCancellationRequested);
        Assert.Equal(200, outcome.Status);
    }

    [Fact]
    public void The_outcome_is_one_object_per_request()
    {
        var context = Context(out _);
        Assert.Same(RequestOutcome.Of(context), RequestOutcome.Of(context));
        Assert.NotSame(RequestOutcome.Of(context), RequestOutcome.Of(Context(out _)));
    }

    [Fact]
    public async Task A_client_that_leaves_mid_stream_is_499_in_the_request_log_in_http_requests_total_and_in_llm_requests_total()
    {
        var upstreamSawTheAbort = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            try
            {
                await Sse.WriteEventAsync(context, Sse.Chunk("first"));
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                upstreamSawTheAbort.TrySetResult();
            }
        });
        var logs = new CapturingLoggerProvider();
        var settings = new ProxySettings { DefaultProvider = ProviderNames.Ollama, OpenAiCompatBaseUrl = upstream.BaseUrl, LogRequests = true, ModelProviderMap = "m=ollama" };
        await using var proxy = await KestrelProxy.StartAsync(settings, builder => builder.Logging.AddProvider(logs));

        using (var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", StreamBody), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Contains("first", await Sse.ReadEventAsync(reader), StringComparison.Ordinal);
        }
        await upstreamSawTheAbort.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var line = await RequestLineAsync(logs, "/v1/chat/completions");

        Assert.Equal(499, line.State["Status"]);
        using var scrape = await proxy.Client.GetAsync("metrics");
        var text = await scrape.Content.ReadAsStringAsync();
        Assert.Contains("http_requests_total{method=\"POST\",path=\"/v1/chat/completions\",status=\"499\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("llm_requests_total{provider=\"ollama\",model=\"m\",status=\"499\"} 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("http_requests_total{method=\"POST\",path=\"/v1/chat/completions\",status=\"200\"}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("llm_requests_total{provider=\"ollama\",model=\"m\",status=\"200\"}", text, StringComparison.Ordinal);
    }

    /// <summary>The request line is written once the request is over, which follows the client's leaving by a moment.</summary>
    private static async Task<CapturingLoggerProvider.Entry> RequestLineAsync(CapturingLoggerProvider logs, string path)
    {
        for (var waited = 0; waited < 10_000; waited += 20)
        {
            if (logs.Entries.FirstOrDefault(e => e.Category == RequestLog.Category && Equals(e.State["Path"], path)) is { } entry)
            {
                return entry;
            }
            await Task.Delay(20);
        }
        throw new Xunit.Sdk.XunitException($"no request line for {path}");
    }
}
