using System.Diagnostics;
using System.Text;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E;

/// <summary>
/// "Relayed as they arrive, no buffering" (docs/api.md, Streaming) at scale, and the /v1 pass-through of a large answer: 200 MB go
/// through the binary while its resident memory is sampled; holding the body (or even a tenth of it) would show.
/// </summary>
public class HugeStreamTests
{
    private const long TotalBytes = 200L * 1024 * 1024;

    /// <summary>Far below the 200 MB relayed: pooled 16–64 KiB relay buffers, Kestrel's 64 KiB output pipe, GC slack.</summary>
    private const long MaxRssGrowthBytes = 48L * 1024 * 1024;

    [Fact]
    public async Task Two_hundred_megabytes_stream_through_with_bounded_memory_and_end_with_one_DONE()
    {
        var chunk = Encoding.UTF8.GetBytes($"data: {FaultyUpstreamFixture.Chunk(new string('a', 16 * 1024))}\n\n");
        var done = "data: [DONE]\n\n"u8.ToArray();
        var (total, tail) = await RelayAsync(ChatRoute.V1Stream, "text/event-stream", chunk, done);
        Assert.Equal(TotalBytes / chunk.Length * chunk.Length + done.Length, total);
        Assert.Equal(done, tail);
    }

    [Fact]
    public async Task Two_hundred_megabytes_of_non_streaming_v1_answer_pass_through_with_bounded_memory()
    {
        // Past BufferedPassThroughBytes (1 MiB) a /v1 answer is copied through, not held (big embedding batches).
        var piece = new byte[64 * 1024];
        Array.Fill(piece, (byte)' ');
        var end = "{}"u8.ToArray();
        var (total, tail) = await RelayAsync(ChatRoute.V1, "application/json", piece, end);
        Assert.Equal(TotalBytes / piece.Length * piece.Length + end.Length, total);
        Assert.Equal(end, tail[^end.Length..]);
    }

    /// <summary>The upstream sends <paramref name="piece"/> until 200 MB, then <paramref name="end"/>; returns the bytes the client got and their tail.</summary>
    private static async Task<(long Total, byte[] Tail)> RelayAsync(ChatRoute route, string contentType, byte[] piece, byte[] end)
    {
        var pieces = (int)(TotalBytes / piece.Length);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = upstream.BaseUrl.ToString().TrimEnd('/'),
            ["UPSTREAM_TIMEOUT_SECONDS"] = "10",
        });

        // Warm up (pools, lazily built state), then take the baseline.
        upstream.Handler = context => context.Response.WriteAsync("""{"choices":[{"index":0,"message":{"role":"assistant","content":"w"}}]}""");
        Assert.Equal(200, (await ChatRoute.Proxy.SendAsync(proxy.Client)).Status);
        var baseline = Rss(proxy.Process.Id);
        upstream.Handler = async context =>
        {
            context.Response.ContentType = contentType;
            for (var i = 0; i < pieces; i++)
            {
                await context.Response.Body.WriteAsync(piece, context.RequestAborted);
            }
            await context.Response.Body.WriteAsync(end, context.RequestAborted);
        };

        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Rss(proxy.Process.Id));
                await Task.Delay(50);
            }
        });

        var clock = Stopwatch.StartNew();
        using var response = await proxy.Client.SendAsync(route.Request(), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        long total = 0;
        var tail = new byte[end.Length];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            total += read;
            // Keep the last bytes seen, to check what ended the body.
            if (read >= tail.Length)
            {
                Array.Copy(buffer, read - tail.Length, tail, 0, tail.Length);
            }
            else
            {
                Array.Copy(tail, read, tail, 0, tail.Length - read);
                Array.Copy(buffer, 0, tail, tail.Length - read, read);
            }
        }
        var elapsed = clock.Elapsed;
        await sampling.CancelAsync();
        await sampler;

        var growth = peak - baseline;
        Assert.True(growth < MaxRssGrowthBytes,
            $"{route}: RSS grew by {growth / 1048576.0:0.0} MB (baseline {baseline / 1048576.0:0.0} MB) while {total / 1048576.0:0} MB went through in {elapsed.TotalSeconds:0.0} s");
        Assert.False(proxy.HasExited);
        Console.WriteLine($"{route}, 200 MB: RSS {baseline / 1048576.0:0.0} MB → peak {peak / 1048576.0:0.0} MB, {elapsed.TotalSeconds:0.0} s");
        return (total, tail);
    }

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException("no VmRSS");
    }
}
