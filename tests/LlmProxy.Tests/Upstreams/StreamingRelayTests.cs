using System.Diagnostics;
using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Upstreams;

/// <summary>The streaming rules (docs/api.md, Streaming) on real sockets: a fake upstream on Kestrel, the proxy on Kestrel, a real HTTP client.</summary>
public class StreamingRelayTests
{
    private const string StreamBody = """{"model":"llama3","stream":true,"messages":[{"role":"user","content":"count"}]}""";

    [Theory]
    [InlineData("v1/chat/completions", StreamBody)]
    [InlineData("proxy/stream", """{"model":"llama3","messages":[{"role":"user","content":"count"}]}""")]
    public async Task Ten_chunks_100ms_apart_arrive_one_by_one_and_concatenate_exactly(string path, string body)
    {
        var clock = Stopwatch.StartNew();
        var secondChunkSentAt = TimeSpan.MaxValue;
        // The upstream holds its second chunk (100 ms at least, 5 s at most) until the client has the first event. A
        // relay that buffers never delivers it alone, so the wait runs out and the assertion below fails; a live relay
        // passes however slow the machine is.
        var firstReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            for (var i = 0; i < 10; i++)
            {
                if (i == 1)
                {
                    secondChunkSentAt = clock.Elapsed;
                }
                await Sse.WriteEventAsync(context, Sse.Chunk($"c{i} "));
                await Task.Delay(100, context.RequestAborted);
                if (i == 0)
                {
                    await Task.WhenAny(firstReceived.Task, Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted));
                }
            }
            await Sse.WriteEventAsync(context, "[DONE]");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(Requests.Post(path, body), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await Sse.ReadEventAsync(reader);
        var firstArrivedAt = clock.Elapsed;
        firstReceived.TrySetResult();
        var events = new List<string> { first! };
        while (await Sse.ReadEventAsync(reader) is { } e)
        {
            events.Add(e);
        }

        // The first event was in the client's hands before the upstream even sent its second chunk: no buffering.
        Assert.True(firstArrivedAt < secondChunkSentAt, $"first event at {firstArrivedAt.TotalMilliseconds} ms, second chunk sent at {secondChunkSentAt.TotalMilliseconds} ms");
        Assert.Equal("c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ", Sse.Content(events));
        Assert.Equal("[DONE]", events[^1]);
        Assert.Single(events, e => e == "[DONE]");
        Assert.Equal(11, events.Count);
    }

    [Fact]
    public async Task A_client_that_disconnects_after_three_events_aborts_the_upstream_request_within_a_second()
    {
        var aborted = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            try
            {
                for (var i = 0; i < 100; i++)
                {
                    await Sse.WriteEventAsync(context, Sse.Chunk($"t{i}"));
                    await Task.Delay(100, context.RequestAborted);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
            if (context.RequestAborted.IsCancellationRequested)
            {
                aborted.TrySetResult(clock.Elapsed);
            }
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", StreamBody), HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull(await Sse.ReadEventAsync(reader));
        }
        var disconnectedAt = clock.Elapsed;
        reader.Dispose();
        response.Dispose();

        var completed = await Task.WhenAny(aborted.Task, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(completed == aborted.Task, "the upstream request was never aborted");
        var delay = await aborted.Task - disconnectedAt;
        Assert.True(delay < TimeSpan.FromSeconds(1), $"upstream aborted {delay.TotalMilliseconds} ms after the client left");
    }

    [Fact]
    public async Task An_upstream_that_forgets_DONE_still_ends_with_exactly_one()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Sse.Chunk("a"));
            await Sse.WriteEventAsync(context, Sse.Chunk("b"));
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", StreamBody));
        var events = await Sse.ReadAllEventsAsync(response);
        Assert.Equal(["[DONE]"], events.Where(e => e == "[DONE]"));
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal("ab", Sse.Content(events));
    }

    [Theory]
    // Ollama / vLLM: an error object as data, then the connection closes without [DONE].
    [InlineData("data", """{"error":{"message":"model crashed","type":"server_error","param":null,"code":null}}""")]
    // vLLM < 0.10.1: the flat error object.
    [InlineData("data", """{"object":"error","message":"model crashed","type":"InternalServerError","param":null,"code":500}""")]
    // llama.cpp's server: an `error:` field.
    [InlineData("error", """{"code":500,"message":"model crashed","type":"server_error"}""")]
    public async Task An_upstream_error_after_the_start_becomes_one_error_event_then_DONE(string field, string payload)
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Sse.Chunk("partial"));
            await Sse.WriteEventAsync(context, payload, field);
            await Sse.WriteEventAsync(context, Sse.Chunk("ignored after the error"));
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", StreamBody));
        var events = await Sse.ReadAllEventsAsync(response);
        Assert.Equal(3, events.Count);
        Assert.Equal("partial", Sse.Content(events[..1]));
        using var error = JsonDocument.Parse(events[1]);
        Assert.Equal("model crashed", error.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.True(error.RootElement.GetProperty("error").TryGetProperty("type", out _));
        Assert.Equal("[DONE]", events[2]);
    }

    [Fact]
    public async Task A_connection_lost_mid_stream_is_reported_as_an_error_event_then_DONE()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Sse.Chunk("one"));
            await Sse.WriteEventAsync(context, Sse.Chunk("two"));
            // Abort resets the socket and drops output still queued in Kestrel: let "two" leave first.
            await Task.Delay(200);
            context.Abort();
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", StreamBody));
        var events = await Sse.ReadAllEventsAsync(response);
        Assert.True(events.Count == 4, string.Join(" | ", events));
        Assert.Equal("onetwo", Sse.Content(events[..2]));
        using var error = JsonDocument.Parse(events[2]);
        Assert.Equal("upstream_connection_lost", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("[DONE]", events[3]);
        Assert.Equal(4, events.Count);
    }

    [Fact]
    public async Task Silence_mid_stream_past_the_idle_timeout_is_an_error_event_then_DONE()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Sse.Chunk("hello"));
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { UpstreamTimeout = TimeSpan.FromSeconds(1) });

        var clock = Stopwatch.StartNew();
        using var response = await proxy.Client.SendAsync(Requests.Post("proxy/stream", """{"model":"m","messages":[{"role":"user","content":"hi"}]}"""));
        var events = await Sse.ReadAllEventsAsync(response);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        Assert.Equal("hello", Sse.Content(events[..1]));
        using var error = JsonDocument.Parse(events[1]);
        Assert.Equal("upstream_timeout", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("[DONE]", events[2]);
    }

    [Fact]
    public async Task Include_usage_reaches_the_upstream_and_its_usage_chunk_reaches_the_client()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Sse.Chunk("hi"));
            await Sse.WriteEventAsync(context, """{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}""");
            await Sse.WriteEventAsync(context, "[DONE]");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        const string body = """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""";
        using var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", body));
        var events = await Sse.ReadAllEventsAsync(response);
        using var usage = JsonDocument.Parse(events[1]);
        Assert.Equal(6, usage.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        Assert.Contains("\"include_usage\":true", System.Text.Encoding.UTF8.GetString(upstream.Requests.Single().Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_split_across_reads_and_CRLF_framing_are_relayed_whole()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            var chunk = Sse.Chunk("split");
            await context.Response.WriteAsync("data: " + chunk[..20]);
            await context.Response.Body.FlushAsync();
            await Task.Delay(50);
            await context.Response.WriteAsync(chunk[20..] + "\r\n\r\n" + "data: " + Sse.Chunk(" crlf") + "\r\n\r\ndata: [DONE]\r\n\r\n");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", StreamBody));
        var events = await Sse.ReadAllEventsAsync(response);
        Assert.Equal("split crlf", Sse.Content(events));
        Assert.Equal(3, events.Count);
    }

    [Theory]
    // Ollama: a 200 stream whose first event is the failure.
    [InlineData("""{"error":{"message":"llama runner process has terminated: signal: killed","type":"api_error","param":null,"code":null}}""", 502, null)]
    // The model vanished between routing and loading: still "model not found" for the client.
    [InlineData("""{"error":{"message":"model 'x' not found","type":"not_found_error","param":null,"code":null}}""", 404, "model_not_found")]
    public async Task An_error_as_the_first_event_is_a_plain_HTTP_error(string payload, int status, string? code)
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, payload);
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", StreamBody));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = (await Requests.JsonAsync(response)).GetProperty("error");
        using var sent = JsonDocument.Parse(payload);
        Assert.Equal(sent.RootElement.GetProperty("error").GetProperty("message").GetString(), error.GetProperty("message").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Silence_after_the_headers_but_before_the_first_event_is_504()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await context.Response.StartAsync(context.RequestAborted);
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { UpstreamTimeout = TimeSpan.FromSeconds(1) });

        using var response = await proxy.Client.SendAsync(Requests.Post("proxy/stream", """{"model":"m","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(504, (int)response.StatusCode);
        Assert.Equal("Gateway Timeout", (await Requests.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_connection_lost_before_the_first_event_is_502()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await context.Response.StartAsync(context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(200);
            context.Abort();
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", StreamBody));
        Assert.Equal(502, (int)response.StatusCode);
        Assert.Equal("upstream_connection_lost", (await Requests.JsonAsync(response)).GetProperty("error").GetProperty("code").GetString());
    }
}
