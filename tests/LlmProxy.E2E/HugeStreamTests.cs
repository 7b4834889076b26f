using System.Diagnostics;
using System.Text;
using LlmProxy.E2E.Support;
using Microsoft.AspNetCore.Http;

namespace LlmProxy.E2E;

/// <summary>
/// CONTRACT §6 "relayed as they arrive, no buffering" at scale: a 200 MB stream goes through the binary while its
/// resident memory is sampled; holding the stream (or even a tenth of it) would show.
/// </summary>
public class HugeStreamTests
{
    private const long StreamBytes = 200L * 1024 * 1024;

    /// <summary>Far below the 200 MB relayed: pooled 16 KiB relay buffers, Kestrel's 64 KiB output pipe, GC slack.</summary>
    private const long MaxRssGrowthBytes = 48L * 1024 * 1024;

    [Fact]
    public async Task Two_hundred_megabytes_stream_through_with_bounded_memory_and_end_with_one_DONE()
    {
        var content = new string('a', 16 * 1024);
        var eventBytes = Encoding.UTF8.GetBytes($"data: {FaultyUpstreamFixture.Chunk(content)}\n\n");
        var events = (int)(StreamBytes / eventBytes.Length);
        var done = "data: [DONE]\n\n"u8.ToArray();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = upstream.BaseUrl.ToString().TrimEnd('/'),
            ["UPSTREAM_TIMEOUT_SECONDS"] = "10",
        });

        // Warm up (pools, JIT-free but lazily built state), then take the baseline.
        upstream.Handler = context => context.Response.WriteAsync("""{"choices":[{"index":0,"message":{"role":"assistant","content":"w"}}]}""");
        Assert.Equal(200, (await ChatRoute.Proxy.SendAsync(proxy.Client)).Status);
        var baseline = Rss(proxy.Process.Id);
        upstream.Handler = async context =>
        {
            context.Response.ContentType = "text/event-stream";
            for (var i = 0; i < events; i++)
            {
                await context.Response.Body.WriteAsync(eventBytes, context.RequestAborted);
            }
            await context.Response.Body.WriteAsync(done, context.RequestAborted);
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
        using var response = await proxy.Client.SendAsync(ChatRoute.V1Stream.Request(), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        long total = 0;
        var tail = new byte[done.Length];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            total += read;
            // Keep the last bytes seen, to check what ended the stream.
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

        Assert.Equal((long)events * eventBytes.Length + done.Length, total);
        Assert.Equal(done, tail);
        var growth = peak - baseline;
        Assert.True(growth < MaxRssGrowthBytes,
            $"RSS grew by {growth / 1048576.0:0.0} MB (baseline {baseline / 1048576.0:0.0} MB) while {total / 1048576.0:0} MB streamed in {elapsed.TotalSeconds:0.0} s");
        Assert.False(proxy.HasExited);
        Console.WriteLine($"200 MB stream: RSS {baseline / 1048576.0:0.0} MB → peak {peak / 1048576.0:0.0} MB, {elapsed.TotalSeconds:0.0} s");
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
