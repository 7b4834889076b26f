using System.Diagnostics;
using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Http.Body;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Http.Body;

/// <summary>MAX_INFLIGHT_BODY_BYTES (docs/security.md, Memory): one budget for all request bodies held at once.</summary>
public class BodyBudgetTests
{
    /// <summary>Sends <paramref name="first"/> bytes of a declared body, then the rest only when released.</summary>
    private sealed class HeldContent(byte[] body, int first, bool chunked = false) : HttpContent
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource FirstPartSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(body.AsMemory(0, first));
            await stream.FlushAsync();
            FirstPartSent.TrySetResult();
            await Release.Task;
            await stream.WriteAsync(body.AsMemory(first));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return !chunked;
        }
    }

    private static byte[] ChatOfSize(int size)
    {
        var head = """{"model":"m","messages":[{"role":"user","content":""";
        const string tail = "\"}]}";
        return System.Text.Encoding.UTF8.GetBytes(head + "\"" + new string('a', size - head.Length - 1 - tail.Length) + tail);
    }

    private static HttpRequestMessage Post(string path, HttpContent content)
    {
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer t");
        return request;
    }

    private const int Mib = 1024 * 1024;

    private static ProxySettings Budget(long bytes) => new() { MaxRequestBytes = bytes, MaxInflightBodyBytes = bytes };

    [Theory]
    [InlineData("proxy", "\"error\":\"Service Unavailable\"")]
    [InlineData("v1/chat/completions", "\"code\":\"server_overloaded\"")]
    public async Task A_body_that_finds_the_budget_full_waits_then_gets_503_with_retry_after(string path, string marker)
    {
        await using var proxy = await KestrelProxy.StartAsync(Budget(Mib));
        var holder = new HeldContent(ChatOfSize(700 * 1024), 650 * 1024);
        var held = proxy.Client.SendAsync(Post(path, holder));
        await holder.FirstPartSent.Task;
        var budget = proxy.App.Services.GetRequiredService<BodyBudget>();
        await WaitUntilAsync(() => budget.BytesInUse >= 650 * 1024);

        var clock = Stopwatch.StartNew();
        using var refused = await proxy.Client.SendAsync(Post(path, new ByteArrayContent(ChatOfSize(400 * 1024))));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.InRange(clock.Elapsed, BodyBudget.MaxWait - TimeSpan.FromMilliseconds(200), BodyBudget.MaxWait + TimeSpan.FromSeconds(5));
        Assert.Equal("2", refused.Headers.RetryAfter?.ToString());
        Assert.Contains("MAX_INFLIGHT_BODY_BYTES", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(marker, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        holder.Release.TrySetResult();
        using (var first = await held)
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        // Every byte is given back: a later body of the full size fits again.
        await WaitUntilAsync(() => budget.BytesInUse == 0);
        using var later = await proxy.Client.SendAsync(Post(path, new ByteArrayContent(ChatOfSize(900 * 1024))));
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    [Fact]
    public async Task A_body_that_waits_is_served_as_soon_as_room_is_given_back()
    {
        await using var proxy = await KestrelProxy.StartAsync(Budget(Mib));
        var holder = new HeldContent(ChatOfSize(700 * 1024), 650 * 1024);
        var held = proxy.Client.SendAsync(Post("proxy", holder));
        await holder.FirstPartSent.Task;
        var budget = proxy.App.Services.GetRequiredService<BodyBudget>();
        await WaitUntilAsync(() => budget.BytesInUse >= 650 * 1024);

        var waiting = proxy.Client.SendAsync(Post("proxy", new ByteArrayContent(ChatOfSize(400 * 1024))));
        await Task.Delay(500);
        Assert.False(waiting.IsCompleted, "the second body did not wait for room");
        holder.Release.TrySetResult();
        using var first = await held;
        using var second = await waiting;
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Fact]
    public async Task A_chunked_body_holds_room_only_for_the_bytes_that_arrived()
    {
        await using var proxy = await KestrelProxy.StartAsync(Budget(8 * 1024 * 1024));
        var holder = new HeldContent(ChatOfSize(6 * 1024 * 1024), 1024, chunked: true);
        var held = proxy.Client.SendAsync(Post("proxy", holder));
        await holder.FirstPartSent.Task;
        var budget = proxy.App.Services.GetRequiredService<BodyBudget>();
        await WaitUntilAsync(() => budget.BytesInUse > 0);
        await Task.Delay(300);
        // One step (1 MiB) at most: without a Content-Length the body takes room as its bytes come.
        Assert.InRange(budget.BytesInUse, 1, BodyReservation.Step);
        using var other = await proxy.Client.SendAsync(Post("proxy", new ByteArrayContent(ChatOfSize(6 * 1024 * 1024))));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        holder.Release.TrySetResult();
        using var first = await held;
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
    }

    [Fact]
    public async Task A_burst_of_bodies_three_times_the_budget_is_served_whole_one_after_another()
    {
        // Each body takes its whole room before it is read: two fit at once, the rest wait their turn. Bodies that held
        // part of their room and waited for the rest would block each other until all were refused.
        await using var proxy = await KestrelProxy.StartAsync(Budget(2 * Mib));
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            using var response = await proxy.Client.SendAsync(Post("proxy", new ByteArrayContent(ChatOfSize(900 * 1024))));
            return response.StatusCode;
        }));
        Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));
        var budget = proxy.App.Services.GetRequiredService<BodyBudget>();
        await WaitUntilAsync(() => budget.BytesInUse == 0);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>An upstream that sends one event, signals <paramref name="streaming"/>, and ends the stream once <paramref name="finish"/> is set.</summary>
    private static Task<FakeUpstream> HeldStreamUpstreamAsync(TaskCompletionSource streaming, TaskCompletionSource finish) =>
        FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Sse.Chunk("a"));
            streaming.TrySetResult();
            await finish.Task;
            await Sse.WriteEventAsync(context, "[DONE]");
        });

    [Fact]
    public async Task A_classic_request_keeps_its_room_for_the_upstream_copy_until_the_answer_is_over()
    {
        var (streaming, finish) = (NewSignal(), NewSignal());
        await using var upstream = await HeldStreamUpstreamAsync(streaming, finish);
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { MaxRequestBytes = Mib, MaxInflightBodyBytes = Mib });
        var budget = proxy.App.Services.GetRequiredService<BodyBudget>();

        using var response = await proxy.Client.SendAsync(Post("proxy/stream", new ByteArrayContent(ChatOfSize(600 * 1024))), HttpCompletionOption.ResponseHeadersRead);
        await streaming.Task;
        // The client's body is gone; its copy, the upstream request, is held (and counted) while the stream runs.
        Assert.InRange(budget.BytesInUse, 600 * 1024, 700 * 1024);
        finish.TrySetResult();
        Assert.Equal("[DONE]", (await Sse.ReadAllEventsAsync(response))[^1]);
        await WaitUntilAsync(() => budget.BytesInUse == 0);
    }

    /// <summary>The same text as <see cref="ChatOfSize"/>, in the body a translating door takes (about the same size).</summary>
    private static byte[] TranslatedChatOfSize(string path, int size, bool stream)
    {
        var text = new string('a', size);
        var flag = stream ? "true" : "false";
        return System.Text.Encoding.UTF8.GetBytes(path == "v1/messages"
            ? $$"""{"model":"m","max_tokens":16,"stream":{{flag}},"messages":[{"role":"user","content":"{{text}}"}]}"""
            : $$"""{"model":"m","stream":{{flag}},"messages":[{"role":"user","content":"{{text}}"}]}""");
    }

    [Theory]
    [InlineData("v1/messages", 2)]
    [InlineData("api/chat", 1)]
    public async Task A_translating_door_holds_room_for_its_openai_copy_until_the_answer_is_over(string path, int copiesHeld)
    {
        // While the upstream streams, /v1/messages holds its body (the parsed request points into it) and its OpenAI
        // copy; /api/chat has given its body back and holds the copy. Both buffers count, not only the client's body.
        var (streaming, finish) = (NewSignal(), NewSignal());
        await using var upstream = await HeldStreamUpstreamAsync(streaming, finish);
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { MaxRequestBytes = 4 * Mib, MaxInflightBodyBytes = 4 * Mib });
        var budget = proxy.App.Services.GetRequiredService<BodyBudget>();

        using var response = await proxy.Client.SendAsync(Post(path, new ByteArrayContent(TranslatedChatOfSize(path, 600 * 1024, stream: true))), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await streaming.Task;
        Assert.InRange(budget.BytesInUse, copiesHeld * 600 * 1024, copiesHeld * 610 * 1024);
        finish.TrySetResult();
        await response.Content.ReadAsStringAsync();
        await WaitUntilAsync(() => budget.BytesInUse == 0);
    }

    [Theory]
    [InlineData("v1/messages", "{\"type\":\"error\",")]
    [InlineData("api/chat", "{\"error\":\"The proxy holds")]
    public async Task A_translated_copy_that_finds_the_budget_full_waits_then_gets_the_doors_503_with_retry_after(string path, string marker)
    {
        await using var proxy = await KestrelProxy.StartAsync(Budget(Mib));
        var holder = new HeldContent(ChatOfSize(600 * 1024), 550 * 1024);
        var held = proxy.Client.SendAsync(Post("proxy", holder));
        await holder.FirstPartSent.Task;
        var budget = proxy.App.Services.GetRequiredService<BodyBudget>();
        await WaitUntilAsync(() => budget.BytesInUse >= 600 * 1024);

        // 300 KB fits beside the held 600 KB; its translated copy (another 300 KB) does not, until the holder is done.
        var clock = Stopwatch.StartNew();
        using var refused = await proxy.Client.SendAsync(Post(path, new ByteArrayContent(TranslatedChatOfSize(path, 300 * 1024, stream: false))));
        var text = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.InRange(clock.Elapsed, BodyBudget.MaxWait - TimeSpan.FromMilliseconds(200), BodyBudget.MaxWait + TimeSpan.FromSeconds(5));
        Assert.Equal("2", refused.Headers.RetryAfter?.ToString());
        Assert.Contains("MAX_INFLIGHT_BODY_BYTES", text, StringComparison.Ordinal);
        // The door's own shape: Anthropic's {"type":"error",...}, Ollama's {"error":"<message>"}.
        Assert.StartsWith(marker, text, StringComparison.Ordinal);

        holder.Release.TrySetResult();
        using (var first = await held)
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        await WaitUntilAsync(() => budget.BytesInUse == 0);
        // With the room given back, the same request is served.
        using var served = await proxy.Client.SendAsync(Post(path, new ByteArrayContent(TranslatedChatOfSize(path, 300 * 1024, stream: false))));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        await WaitUntilAsync(() => budget.BytesInUse == 0);
    }

    [Theory]
    [InlineData("v1/messages")]
    [InlineData("api/chat")]
    public async Task A_body_whose_copy_can_never_fit_beside_it_takes_the_whole_budget_and_is_served(string path)
    {
        // 700 KB and its 700 KB copy are more than the 1 MiB budget: like one body larger than the budget, the request
        // takes the whole budget (and runs alone) instead of waiting on its own body and being refused.
        await using var proxy = await KestrelProxy.StartAsync(Budget(Mib));
        var clock = Stopwatch.StartNew();
        using var response = await proxy.Client.SendAsync(Post(path, new ByteArrayContent(TranslatedChatOfSize(path, 700 * 1024, stream: false))));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed < BodyBudget.MaxWait, $"the request waited {clock.Elapsed}");
        var budget = proxy.App.Services.GetRequiredService<BodyBudget>();
        await WaitUntilAsync(() => budget.BytesInUse == 0);
    }

    [Fact]
    public async Task Large_buffers_are_exact_and_never_pooled_small_ones_are()
    {
        var large = BodyBuffers.Rent(BodyBuffers.MaxPooledBytes + 1);
        Assert.Equal(BodyBuffers.MaxPooledBytes + 1, large.Length);
        BodyBuffers.Return(large);
        var again = BodyBuffers.Rent(BodyBuffers.MaxPooledBytes + 1);
        Assert.NotSame(large, again);

        using var body = await PooledBody.ReadAsync(new MemoryStream(new byte[3 * 1024 * 1024]), 4 * 1024 * 1024, CancellationToken.None, sizeHint: 3 * 1024 * 1024);
        Assert.Equal(3 * 1024 * 1024, body.Length);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "timed out waiting");
            await Task.Delay(20);
        }
    }
}
