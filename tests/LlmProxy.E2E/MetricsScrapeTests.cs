using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>
/// The metrics (docs/operations.md, Metrics) on the real binary: after mixed traffic, a scrape of <c>/metrics</c> must pass
/// <c>promtool check metrics</c> (the parser Prometheus itself uses, plus its naming lint) with no complaint at all.
/// </summary>
public class MetricsScrapeTests
{
    [Fact]
    public async Task A_scrape_after_mixed_traffic_passes_promtool_and_counts_what_was_sent()
    {
        // A rate limit far above what 127.0.0.1 sends here, so only the burst from 127.0.0.2 below is refused (429s).
        // The map names the models whose labels are checked first, so they are among the 100 kept whatever the order.
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["RATE_LIMIT_ENABLED"] = "true",
            ["RATE_LIMIT_MAX_REQUESTS"] = "1000",
            ["MODEL_PROVIDER_MAP"] = "my-model=stub,quote\" back\\slash\nnewline ünïcode ✓=stub",
        });

        const int chats = 20;
        const int streams = 10;
        const int distinctModels = 150;
        var traffic = new List<Task<HttpStatusCode>>();
        // A model name that needs escaping in the exposition.
        Assert.Equal(HttpStatusCode.OK, await SendAsync(proxy, Http.Post("proxy", Chat("quote\" back\\slash\nnewline ünïcode ✓"))));
        // One chat of my-model before the made-up names, so its label is among the first 100 whatever the scheduling.
        traffic.Add(Task.FromResult(await SendAsync(proxy, Http.Post("proxy", Http.ValidChat))));
        for (var i = 1; i < chats; i++)
        {
            traffic.Add(SendAsync(proxy, Http.Post("proxy", Http.ValidChat)));
        }
        for (var i = 0; i < streams; i++)
        {
            traffic.Add(SendAsync(proxy, Http.Post("proxy/stream", Http.ValidChat)));
        }
        // Client-chosen model names sent to the stub (which answers every name) are kept up to the cap of 100 and the
        // rest are "other" (docs/operations.md, Metrics; sent to a real server, a name it does not answer is "other").
        for (var i = 0; i < distinctModels; i++)
        {
            traffic.Add(SendAsync(proxy, Http.Post("proxy", Chat($"model-{i}"))));
        }
        traffic.Add(SendAsync(proxy, Http.Post("proxy", Http.ValidChat, authorization: null)));           // 401
        traffic.Add(SendAsync(proxy, Http.Post("proxy", """{"model":"m","messages":[]}""")));            // 422
        traffic.Add(SendAsync(proxy, Http.Post("proxy", "{not json")));                                   // 400
        traffic.Add(SendAsync(proxy, new HttpRequestMessage(HttpMethod.Get, "no/such/path?token=abc")));  // 404
        traffic.Add(SendAsync(proxy, new HttpRequestMessage(HttpMethod.Delete, "healthz")));              // 405
        traffic.Add(SendAsync(proxy, new HttpRequestMessage(HttpMethod.Get, "healthz")));                 // 200
        var statuses = await Task.WhenAll(traffic);
        using (var limitedClient = LoopbackClient.From("127.0.0.2", proxy.BaseUrl))
        {
            var limited = 0;
            for (var i = 0; i < 1003; i++)
            {
                using var response = await limitedClient.SendAsync(Http.Post("proxy", Http.ValidChat));
                limited += response.StatusCode == HttpStatusCode.TooManyRequests ? 1 : 0;
            }
            Assert.Equal(3, limited);
        }
        Assert.Equal(chats + streams + distinctModels + 1, statuses.Count(s => s == HttpStatusCode.OK));

        using var scrape = await proxy.Client.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", scrape.Content.Headers.ContentType?.ToString());
        var bytes = await scrape.Content.ReadAsByteArrayAsync();
        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);

        var (exitCode, output) = await PromtoolCheckAsync(bytes);
        Assert.True(exitCode == 0 && output.Length == 0, $"promtool check metrics exited {exitCode}: {output}\n--- scrape ---\n{text}");

        Assert.Equal(chats + distinctModels + 1 + 1000, Sample(text, "http_requests_total{method=\"POST\",path=\"/proxy\",status=\"200\"}"));
        Assert.Equal(streams, Sample(text, "http_requests_total{method=\"POST\",path=\"/proxy/stream\",status=\"200\"}"));
        Assert.Equal(1, Sample(text, "http_requests_total{method=\"GET\",path=\"unmatched\",status=\"404\"}"));
        Assert.Equal(3, Sample(text, "http_requests_total{method=\"POST\",path=\"/proxy\",status=\"429\"}"));
        Assert.Equal(3, Sample(text, "llm_rate_limited_requests_total{reason=\"requests\"}"));
        Assert.Equal(1, Sample(text, "http_requests_total{method=\"DELETE\",path=\"unmatched\",status=\"405\"}"));
        Assert.Equal(streams, Sample(text, "llm_time_to_first_token_seconds_count{provider=\"stub\",model=\"my-model\"}"));
        Assert.Equal(0, Sample(text, "llm_streams_in_flight"));
        Assert.DoesNotContain("no/such/path", text, StringComparison.Ordinal);
        Assert.Contains("model=\"quote\\\" back\\\\slash\\nnewline ünïcode ✓\"", text, StringComparison.Ordinal);

        var models = text.Split('\n')
            .Where(l => l.StartsWith("llm_requests_total{", StringComparison.Ordinal))
            .Select(l => l.Split("model=\"")[1].Split("\",status=")[0])
            .ToHashSet();
        Assert.Contains("other", models);
        Assert.Contains(models, m => m.StartsWith("model-", StringComparison.Ordinal));
        Assert.True(models.Count <= 101, $"{models.Count} model label values: the cap of 100 (+ other) did not hold");
        Assert.True(Sample(text, "process_resident_memory_bytes") > 1_000_000);
        Assert.True(Sample(text, "process_open_fds") > 0);
        var start = Sample(text, "process_start_time_seconds");
        Assert.InRange(start, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 120, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
    }

    [Fact]
    public async Task Promtool_as_run_here_does_reject_a_broken_exposition()
    {
        // Negative control: the check above means something only if this promtool parses and lints for real.
        var (lintExit, lintOutput) = await PromtoolCheckAsync("# HELP jobs Jobs.\n# TYPE jobs counter\njobs 1\n"u8.ToArray());
        Assert.NotEqual(0, lintExit);
        Assert.Contains("_total", lintOutput, StringComparison.Ordinal);
        var (parseExit, _) = await PromtoolCheckAsync("# TYPE h histogram\nh_bucket{le=\"1\" 1\n"u8.ToArray());
        Assert.NotEqual(0, parseExit);
    }

    private static string Chat(string model) =>
        $$"""{"model":"{{JsonEncodedText.Encode(model)}}","messages":[{"role":"user","content":"hello"}]}""";

    private static async Task<HttpStatusCode> SendAsync(ProxyProcess proxy, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await proxy.Client.SendAsync(request);
            _ = await response.Content.ReadAsByteArrayAsync();
            return response.StatusCode;
        }
    }

    /// <summary>The value of the one sample line that starts with <paramref name="series"/> followed by a space.</summary>
    private static double Sample(string text, string series)
    {
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no sample {series} in the scrape:\n{text}");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Runs <c>promtool check metrics</c> on the scrape (stdin). promtool exits non-zero on a parse error and on lint
    /// problems (e.g. a counter without <c>_total</c>); any output at all is treated as a problem too.
    /// </summary>
    private static async Task<(int ExitCode, string Output)> PromtoolCheckAsync(byte[] scrape)
    {
        var info = new ProcessStartInfo("promtool")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("check");
        info.ArgumentList.Add("metrics");
        using var process = Process.Start(info)
            ?? throw new InvalidOperationException("promtool could not be started: ./build.sh installs it (Debian package prometheus)");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(scrape);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, ((await stdout) + (await stderr)).Trim());
    }
}
