using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LlmProxy.Benchmarks;

/// <summary>
/// The latency failover adds (docs/upstreams.md, Failover), through the published binary: two upstreams list the model
/// <c>m</c>, the preferred one (<c>dead</c>) has just died, so a request for <c>m</c> is refused by it and moved to
/// <c>live</c>; a request for <c>direct</c> (listed by <c>live</c> only) goes straight there. Each round starts a
/// fresh proxy with <c>dead</c> alive (so it is <c>up</c>), kills <c>dead</c>, and times direct and failover requests
/// in turn — 3 failover requests per round, since the third failure marks <c>dead</c> down and later requests skip it.
/// Each round checks the proxy's <c>llm_upstream_failovers_total</c> so that every timed failover request really was one.
/// Reported: medians and p90 of both (the first failover after the death apart), and the difference, which is the
/// cost of one refused attempt and the move.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project bench/LlmProxy.Benchmarks -- failover-cost [rounds]</c> after <c>./build.sh publish</c>.</remarks>
internal static class FailoverCost
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40;
        var binary = Environment.GetEnvironmentVariable("LLMPROXY_BINARY") is { Length: > 0 } fromEnv ? fromEnv : Path.Combine(RepoRoot(), "artifacts", "llm-proxy");
        await using var live = await FakeServer.StartAsync(["m", "direct"]);
        var direct = new List<double>();
        // The first failover after the death apart from the two after it: the first one is the one a user meets.
        var firstFailover = new List<double>();
        var laterFailover = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            await using var dead = await FakeServer.StartAsync(["m"]);
            var port = FreePort();
            using var proxy = StartProxy(binary, port, new Dictionary<string, string>
            {
                ["UPSTREAMS"] = $"dead={dead.Url},live={live.Url}",
                ["UPSTREAM_LIVE_PRIORITY"] = "1",
                ["LOG_LEVEL"] = "ERROR",
            });
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
                await UntilBothUpAsync(client);
                for (var i = 0; i < 10; i++)
                {
                    await TimeAsync(client, "direct", "live");
                    await TimeAsync(client, "m", "dead");
                }
                await dead.KillAsync();
                for (var i = 0; i < 3; i++)
                {
                    direct.Add(await TimeAsync(client, "direct", "live"));
                    (i == 0 ? firstFailover : laterFailover).Add(await TimeAsync(client, "m", "live"));
                }
                await ExpectFailoversAsync(client, 3);
            }
            finally
            {
                proxy.Kill();
                await proxy.WaitForExitAsync();
            }
        }
        var failover = firstFailover.Concat(laterFailover).ToList();
        Console.WriteLine($"# failover cost: {rounds} rounds, {failover.Count} failover requests, {Environment.ProcessorCount} CPUs, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine("| request | n | median µs | p90 µs | median added vs direct µs |");
        Console.WriteLine("|---|---|---|---|---|");
        Row("direct (one attempt)", direct);
        Row("failover (refused, then moved), all", failover);
        Row("failover, first after the death", firstFailover);
        Row("failover, second and third", laterFailover);
        Console.WriteLine($"ratio of medians, failover / direct: {Percentile(failover, 50) / Percentile(direct, 50):0.00}x");
        return 0;

        void Row(string label, List<double> values) =>
            Console.WriteLine($"| {label} | {values.Count} | {Percentile(values, 50):0} | {Percentile(values, 90):0} | {Percentile(values, 50) - Percentile(direct, 50):0} |");
    }

    /// <summary>
    /// The proxy's own count of failovers from <c>dead</c> to <c>live</c> must be <paramref name="expected"/>: a request
    /// answered by <c>live</c> without a refused attempt first (had <c>dead</c> already been marked down) would
    /// otherwise pass as a failover and pull the figure down.
    /// </summary>
    private static async Task ExpectFailoversAsync(HttpClient client, int expected)
    {
        var metrics = await client.GetStringAsync("metrics");
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("llm_upstream_failovers_total{", StringComparison.Ordinal)
            && l.Contains("from=\"dead\"", StringComparison.Ordinal) && l.Contains("to=\"live\"", StringComparison.Ordinal));
        var counted = line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        if (counted != expected)
        {
            throw new InvalidOperationException($"the proxy counted {counted} failovers from dead to live, expected {expected}");
        }
    }

    /// <summary>One non-streaming chat, timed from send to the last byte of the answer (µs); the answering upstream is checked.</summary>
    private static async Task<double> TimeAsync(HttpClient client, string model, string expectedUpstream)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
            Headers = { { "Authorization", "Bearer bench" } },
        };
        var started = Stopwatch.GetTimestamp();
        using var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        var micros = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        var upstream = response.Headers.TryGetValues("x-llm-upstream", out var values) ? values.Single() : "(none)";
        if (response.StatusCode != HttpStatusCode.OK || upstream != expectedUpstream)
        {
            throw new InvalidOperationException($"{model}: {(int)response.StatusCode} from {upstream}, expected 200 from {expectedUpstream}");
        }
        return micros;
    }

    private static async Task UntilBothUpAsync(HttpClient client)
    {
        for (var i = 0; i < 500; i++)
        {
            try
            {
                var health = await client.GetStringAsync("healthz");
                if (health.Split("\"state\":\"up\"").Length == 3)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(20);
        }
        throw new TimeoutException("the proxy did not see both upstreams up");
    }

    private static Process StartProxy(string binary, int port, Dictionary<string, string> env)
    {
        var info = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment.Clear();
        info.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin";
        info.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        foreach (var (key, value) in env)
        {
            info.Environment[key] = value;
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + binary);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static double Percentile(List<double> values, int percent)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(percent / 100.0 * sorted.Length) - 1)];
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LlmProxy.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }

    /// <summary>A model server that lists its models and answers every chat at once, on loopback; killed like a crash.</summary>
    private sealed class FakeServer : IAsyncDisposable
    {
        private WebApplication? _app;

        private FakeServer(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public string Url { get; }

        public static async Task<FakeServer> StartAsync(string[] models)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var list = Encoding.UTF8.GetBytes($$"""{"object":"list","data":[{{string.Join(",", models.Select(m => $$"""{"id":"{{m}}","object":"model"}"""))}}]}""");
            var answer = """{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"""u8.ToArray();
            app.Run(async context =>
            {
                var body = context.Request.Path.Value!.EndsWith("/models", StringComparison.Ordinal) ? list : answer;
                await context.Request.Body.CopyToAsync(Stream.Null);
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = body.Length;
                await context.Response.Body.WriteAsync(body);
            });
            await app.StartAsync();
            var address = app.Urls.First();
            return new FakeServer(app, address.TrimEnd('/') + "/v1");
        }

        /// <summary>Stops listening and cuts every connection at once.</summary>
        public async Task KillAsync()
        {
            if (Interlocked.Exchange(ref _app, null) is { } app)
            {
                await app.StopAsync(new CancellationToken(canceled: true));
                await app.DisposeAsync();
            }
        }

        public ValueTask DisposeAsync() => new(KillAsync());
    }
}
