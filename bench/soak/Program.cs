using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Soak;

// bench/soak.sh runs this: mixed traffic through the published binary in front of a fault-injecting fake upstream,
// sampling the proxy's RSS, fds and upstream sockets; exit code 0 only if every check in the report passed.
var options = SoakOptions.Parse(args);
var clock = Stopwatch.StartNew();
await using var upstream = await SoakUpstream.StartAsync(clock);

var port = FreePort();
var keys = Enumerable.Range(0, options.Workers).Select(i => "soak-w" + i.ToString(CultureInfo.InvariantCulture)).Append("soak-greedy").ToList();
var info = new ProcessStartInfo(options.Binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
info.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
info.Environment["LLM_PROVIDER"] = "ollama";
info.Environment["OPENAI_COMPAT_BASE_URL"] = $"http://127.0.0.1:{upstream.Port}/v1";
info.Environment["UPSTREAM_TIMEOUT_SECONDS"] = "10";
info.Environment["RATE_LIMIT_ENABLED"] = "true";
info.Environment["RATE_LIMIT_WINDOW_SECONDS"] = "1";
info.Environment["RATE_LIMIT_MAX_REQUESTS"] = options.RateLimit.ToString(CultureInfo.InvariantCulture);
info.Environment["PROXY_API_KEYS"] = string.Join(',', keys);
info.Environment["LOG_LEVEL"] = "WARNING";
using var proxy = Process.Start(info)!;
proxy.OutputDataReceived += (_, _) => { };
proxy.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine("proxy: " + e.Data); } };
proxy.BeginOutputReadLine();
proxy.BeginErrorReadLine();

using var handler = new SocketsHttpHandler { MaxResponseDrainSize = 0, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) };
using var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = Timeout.InfiniteTimeSpan };
await WaitHealthyAsync(client, proxy);
Console.WriteLine($"soak: proxy pid {proxy.Id} on :{port}, upstream on :{upstream.Port}, {options.Minutes} min, {options.Workers} workers");

var tally = new Tally();
var traffic = new Traffic(client, tally, clock);
var samples = new List<Sample>();
var started = clock.Elapsed;
var deadline = started + TimeSpan.FromMinutes(options.Minutes);

Sample Take()
{
    var (sockets, established) = ProcSampler.UpstreamSockets(upstream.Port);
    return new(clock.Elapsed - started, ProcSampler.RssKb(proxy.Id), ProcSampler.OpenFds(proxy.Id), sockets, established, upstream.InFlight, traffic.InFlight);
}

var sampler = Task.Run(async () =>
{
    while (clock.Elapsed < deadline)
    {
        var sample = Take();
        lock (samples)
        {
            samples.Add(sample);
        }
        Console.WriteLine($"t={sample.At.TotalSeconds,5:0}s rss={sample.RssKb / 1024.0:0.0}MB fds={sample.OpenFds} upstream-sockets={sample.UpstreamSockets} " +
            $"(est {sample.UpstreamEstablished}) upstream-in-flight={sample.UpstreamInFlight} client-in-flight={sample.ClientInFlight} requests={tally.Requests} violations={tally.Violations}");
        await Task.Delay(TimeSpan.FromSeconds(options.SampleSeconds));
    }
});

var workers = Enumerable.Range(0, options.Workers).Select(w => Task.Run(async () =>
{
    var random = new Random(options.Seed + w);
    while (clock.Elapsed < deadline)
    {
        await traffic.RunAsync(Traffic.Kinds[random.Next(Traffic.Kinds.Length)], keys[w]);
        await Task.Delay(random.Next(5, 25)); // a person or an agent, not a load generator: stays under RATE_LIMIT_MAX_REQUESTS
    }
})).ToList();

var greedy = Task.Run(async () =>
{
    // Every 2 s one client spends more than its whole per-second budget at once: the rest must be 429s.
    while (clock.Elapsed < deadline)
    {
        for (var i = 0; i < options.RateLimit + 30 && clock.Elapsed < deadline; i++)
        {
            await traffic.RunAsync("rate-limited client", "soak-greedy");
        }
        await Task.Delay(2000);
    }
});

await Task.WhenAll(workers.Append(greedy).Append(sampler));
// Let the last aborts and pooled connections settle, then the final reading.
await Task.Delay(2000);
var final = Take();
samples.Add(final);
var alive = !proxy.HasExited;
using var after = await client.GetAsync(new Uri("healthz", UriKind.Relative));
var healthy = after.StatusCode == HttpStatusCode.OK;

var report = SoakReport.Build(options, tally, samples, traffic.DisconnectedAt, upstream.AbortedAt, final, alive && healthy, upstream.Served);
Console.WriteLine(report.Markdown);
if (options.ReportPath is { } path)
{
    await File.WriteAllTextAsync(path, report.Markdown);
}
proxy.Kill(entireProcessTree: true);
await proxy.WaitForExitAsync();
return report.Passed ? 0 : 1;

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static async Task WaitHealthyAsync(HttpClient client, Process proxy)
{
    for (var i = 0; i < 300; i++)
    {
        if (proxy.HasExited)
        {
            throw new InvalidOperationException($"llm-proxy exited with {proxy.ExitCode}");
        }
        try
        {
            using var response = await client.GetAsync(new Uri("healthz", UriKind.Relative));
            if (response.IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
        }
        await Task.Delay(50);
    }
    throw new TimeoutException("llm-proxy did not become healthy");
}
