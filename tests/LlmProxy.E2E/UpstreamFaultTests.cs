using System.Diagnostics;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E;

/// <summary>
/// The error and streaming rules (docs/api.md, Errors and Streaming) under upstream faults, through the published binary: each fault on every route where it means
/// something, the answer in the route's dialect, and a proxy that keeps serving afterwards. UPSTREAM_TIMEOUT_SECONDS is
/// 2 s here, so the silences cost two seconds each (the routes run concurrently); 1 s proved too short for a 40 MB body
/// relayed on a loaded 2-core machine, where the proxy's own reads could stall for a second and end as a 504.
/// </summary>
public class UpstreamFaultTests(FaultyUpstreamFixture fixture) : IClassFixture<FaultyUpstreamFixture>
{
    private int _aborted;

    private FakeUpstream Upstream => fixture.Upstream;
    private HttpClient Client => fixture.Proxy.Client;

    [Fact]
    public async Task Connection_refused_is_502_on_every_route_and_the_proxy_recovers_when_the_upstream_comes_up()
    {
        var port = FreePort.Next();
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = $"http://127.0.0.1:{port}/v1",
        });
        foreach (var route in ChatRoute.All)
        {
            // Nothing listens: refused three times (two retries), then an ordinary HTTP error — streams included,
            // since nothing reached the client yet (docs/upstreams.md, Failover).
            ContractAssert.Error(await route.SendAsync(proxy.Client), 502, "upstream_unreachable");
        }

        await using var upstream = await FakeUpstream.StartAsync(port: port);
        upstream.Handler = context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync("""{"choices":[{"index":0,"message":{"role":"assistant","content":"up"},"finish_reason":"stop"}]}""");
        };
        var answer = await ChatRoute.Proxy.SendAsync(proxy.Client);
        Assert.True(answer.Status == 200 && answer.Body.Contains("\"up\"", StringComparison.Ordinal), answer.ToString());
    }

    [Fact]
    public async Task A_reset_before_the_headers_is_retried_twice_then_502_on_every_route()
    {
        Upstream.Handler = context =>
        {
            context.Abort(); // the request was read; the connection dies before a status line
            return Task.CompletedTask;
        };
        foreach (var route in ChatRoute.All)
        {
            Upstream.Requests.Clear();
            ContractAssert.Error(await route.SendAsync(Client), 502, "upstream_unreachable");
            Assert.True(Upstream.Requests.Count == 3, $"{route}: {Upstream.Requests.Count} attempts, expected 1 + 2 retries");
        }
        await fixture.AssertStillServesAsync();
    }

    [Fact]
    public async Task A_reset_in_the_middle_of_a_non_streaming_body_is_502()
    {
        Upstream.Handler = async context =>
        {
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = 10_000;
            await context.Response.WriteAsync("""{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"half""");
            await context.Response.Body.FlushAsync();
            await Task.Delay(100);
            context.Abort();
        };
        foreach (var route in new[] { ChatRoute.Proxy, ChatRoute.V1 })
        {
            // Nothing of the body reached the client yet (the proxy holds a short answer whole): a plain 502, no retry.
            Upstream.Requests.Clear();
            ContractAssert.Error(await route.SendAsync(Client), 502);
            Assert.Single(Upstream.Requests);
        }
        await fixture.AssertStillServesAsync();
    }

    [Fact]
    public async Task A_reset_mid_stream_is_one_error_event_then_DONE()
    {
        foreach (var route in ChatRoute.Streaming)
        {
            // The upstream dies only once the client holds the first event, so the stream has surely started.
            var clientHasFirstEvent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Upstream.Handler = async context =>
            {
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync($"data: {FaultyUpstreamFixture.Chunk("a")}\n\n");
                await context.Response.Body.FlushAsync();
                await clientHasFirstEvent.Task.WaitAsync(TimeSpan.FromSeconds(10));
                context.Abort();
            };
            using var response = await Client.SendAsync(route.Request(), HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var first = await reader.ReadLineAsync() + "\n" + await reader.ReadLineAsync() + "\n";
            clientHasFirstEvent.SetResult();
            var body = first + await reader.ReadToEndAsync();
            var answer = new RouteAnswer(route, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, Http.RequestId(response), null);
            ContractAssert.StreamEndsWithErrorThenDone(answer, "upstream_connection_lost");
        }
        await fixture.AssertStillServesAsync();
    }

    [Fact]
    public async Task A_200_with_invalid_JSON_is_502_where_the_proxy_reads_it_and_passed_through_on_v1()
    {
        const string Broken = """{"id":"x","object":"chat.completion","choices":[{"message":{"content":"trunc""";
        Upstream.Handler = context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(Broken);
        };
        // /proxy parses the answer to normalise it: not a completion → 502.
        ContractAssert.Error(await ChatRoute.Proxy.SendAsync(Client), 502);
        // /proxy/stream promises chunk events: a JSON body is not one → 502.
        ContractAssert.Error(await ChatRoute.ProxyStream.SendAsync(Client), 502);
        // /v1 is a pass-through (docs/api.md, OpenAI routes): the upstream's 200 and bytes, as sent, in both modes (a server that ignores
        // stream:true answers JSON; the proxy does not judge a body it does not need to read).
        foreach (var route in new[] { ChatRoute.V1, ChatRoute.V1Stream })
        {
            var answer = await route.SendAsync(Client);
            Assert.True(answer.Status == 200 && answer.MediaType == "application/json" && answer.Body == Broken, answer.ToString());
        }
        await fixture.AssertStillServesAsync();
    }

    [Fact]
    public async Task A_200_with_the_wrong_content_type_is_502_for_streams_and_for_proxy()
    {
        const string Page = "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>";
        Upstream.Handler = context =>
        {
            context.Response.ContentType = "text/html";
            return context.Response.WriteAsync(Page);
        };
        ContractAssert.Error(await ChatRoute.Proxy.SendAsync(Client), 502);
        ContractAssert.Error(await ChatRoute.ProxyStream.SendAsync(Client), 502);
        var stream = ContractAssert.Error(await ChatRoute.V1Stream.SendAsync(Client), 502, "upstream_invalid_response");
        Assert.Contains("text/html", stream.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        // A non-streaming /v1 answer passes through as the upstream sent it (docs/api.md, OpenAI routes), Content-Type included.
        var v1 = await ChatRoute.V1.SendAsync(Client);
        Assert.True(v1.Status == 200 && v1.MediaType == "text/html" && v1.Body == Page, v1.ToString());
        await fixture.AssertStillServesAsync();
    }

    [Fact]
    public async Task An_answer_that_never_finishes_is_504_or_an_error_event_after_the_idle_timeout_and_the_upstream_request_is_dropped()
    {
        Upstream.Handler = async context =>
        {
            if (fixture.AskedToStream(context))
            {
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync($"data: {FaultyUpstreamFixture.Chunk("a")}\n\n");
            }
            else
            {
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = 10_000;
                await context.Response.WriteAsync("""{"id":"x","object":"chat.completion","choices":[""");
            }
            await context.Response.Body.FlushAsync();
            await HangUntilAbortedAsync(context);
        };
        var answers = await Task.WhenAll(ChatRoute.All.Select(r => r.SendAsync(Client)));
        foreach (var answer in answers)
        {
            if (answer.Route.Stream)
            {
                ContractAssert.StreamEndsWithErrorThenDone(answer, "upstream_timeout");
            }
            else
            {
                ContractAssert.Error(answer, 504, "upstream_timeout");
            }
        }
        await AssertUpstreamRequestsAbortedAsync(ChatRoute.All.Length);
        await fixture.AssertStillServesAsync();
    }

    [Fact]
    public async Task An_upstream_silent_past_the_idle_timeout_is_504_on_every_route_and_the_upstream_request_is_dropped()
    {
        Upstream.Handler = HangUntilAbortedAsync;
        var clock = Stopwatch.StartNew();
        var answers = await Task.WhenAll(ChatRoute.All.Select(r => r.SendAsync(Client)));
        var elapsed = clock.Elapsed;
        foreach (var answer in answers)
        {
            ContractAssert.Error(answer, 504, "upstream_timeout");
        }
        Assert.True(elapsed >= TimeSpan.FromSeconds(FaultyUpstreamFixture.IdleTimeoutSeconds * 0.9), $"answered after {elapsed.TotalMilliseconds} ms");
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"answered after {elapsed.TotalMilliseconds} ms");
        await AssertUpstreamRequestsAbortedAsync(ChatRoute.All.Length);
        await fixture.AssertStillServesAsync();
    }

    [Fact]
    public async Task A_stream_without_DONE_ends_with_exactly_one_on_both_streaming_routes()
    {
        Upstream.Handler = async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync($"data: {FaultyUpstreamFixture.Chunk("a ")}\n\ndata: {FaultyUpstreamFixture.Chunk("b")}\n\n");
        };
        foreach (var route in ChatRoute.Streaming)
        {
            ContractAssert.StreamCompletes(await route.SendAsync(Client), "a b");
        }
        await fixture.AssertStillServesAsync();
    }

    [Fact]
    public async Task A_non_streaming_answer_over_the_documented_ceiling_is_502_on_proxy()
    {
        // 40 MB of "content", more than OpenAiCompatProvider.MaxCompletionBytes (32 MiB): no chat answer is that big.
        Upstream.Handler = async context =>
        {
            context.Response.ContentType = "application/json";
            var filler = new byte[64 * 1024];
            Array.Fill(filler, (byte)'a');
            try
            {
                await context.Response.Body.WriteAsync("{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""u8.ToArray(), context.RequestAborted);
                for (var i = 0; i < 40 * 16; i++)
                {
                    await context.Response.Body.WriteAsync(filler, context.RequestAborted);
                }
                await context.Response.Body.WriteAsync("\"}}]}"u8.ToArray(), context.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The proxy stopped reading at its ceiling and hung up: expected.
            }
        };
        var body = ContractAssert.Error(await ChatRoute.Proxy.SendAsync(Client), 502);
        Assert.Contains("33554432", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await fixture.AssertStillServesAsync();
    }

    private async Task HangUntilAbortedAsync(HttpContext context)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _aborted);
        }
    }

    /// <summary>The proxy hung up on the upstream once it gave up: no request is left running for nobody.</summary>
    private async Task AssertUpstreamRequestsAbortedAsync(int expected)
    {
        var clock = Stopwatch.StartNew();
        while (Volatile.Read(ref _aborted) < expected && clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(20);
        }
        Assert.Equal(expected, Volatile.Read(ref _aborted));
    }
}
