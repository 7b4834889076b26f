using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using LlmProxy.Configuration;
using LlmProxy.Http.RateLimiting;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace LlmProxy.Benchmarks;

/// <summary>
/// What one rate-limit check costs with each store, side by side in one run (docs/replicas.md, "Cost"):
/// the framework's partitioned fixed-window limiter (the in-memory limiter the edge uses today), the in-memory window
/// store, and the Redis store (one EVALSHA round trip to a redis-server on loopback, started here), one call at a time
/// and 16 at a time. Per store: median and p99 latency of one call, and CPU per call of this process and of
/// redis-server (utime+stime from /proc, which a busy neighbour inflates far less than wall time).
/// </summary>
/// <remarks>
/// Not a BenchmarkDotNet benchmark: the figures wanted are a latency distribution and CPU per call across two
/// processes. Run: <c>dotnet run -c Release --project bench/LlmProxy.Benchmarks -- store-cost [calls]</c>.
/// </remarks>
internal static class RateLimitStoreCost
{
    private const int Clients = 1000;
    private static readonly WindowLimits Limits = new(TimeSpan.FromMinutes(10), long.MaxValue / 2, long.MaxValue / 2);

    public static async Task<int> RunAsync(string[] args)
    {
        var calls = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50_000;
        var clientIds = Enumerable.Range(0, Clients).Select(i => "ip:10.0." + (i / 256) + "." + (i % 256)).ToArray();
        using var redis = RedisProcess.Start();
        Console.WriteLine($"# rate-limit store cost: {calls} calls per row, {Clients} clients, redis-server {redis.Version} on 127.0.0.1:{redis.Port}, {Environment.ProcessorCount} CPUs, load average {LoadAverage()}");
        Console.WriteLine("| store | calls in flight | median µs | p99 µs | CPU µs/call (proxy) | CPU µs/call (redis-server) |");
        Console.WriteLine("|---|---|---|---|---|---|");

        using var framework = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = int.MaxValue,
            Window = TimeSpan.FromMinutes(10),
            QueueLimit = 0,
        }));
        await Row("framework FixedWindowRateLimiter (today's edge)", 1, calls * 10, redis, i =>
        {
            using var lease = framework.AttemptAcquire(clientIds[i % Clients]);
            return lease.IsAcquired ? ValueTask.CompletedTask : throw new InvalidOperationException("refused");
        });

        var memory = new InMemoryWindowStore();
        await Row("InMemoryWindowStore", 1, calls * 10, redis, async i => Check(await memory.HitAsync(clientIds[i % Clients], Limits), CountSource.Local));

        var options = new RedisStoreOptions { Url = RedisUrl.Parse($"redis://127.0.0.1:{redis.Port}") };
        // The client's own floor: one PING per call through StackExchange.Redis, configured as the store configures it.
        await using (var raw = await ConnectionMultiplexer.ConnectAsync(RedisConnectionConfig.Create(options)))
        {
            var db = raw.GetDatabase();
            await Row("StackExchange.Redis PING (client floor)", 1, calls, redis, async _ => await db.PingAsync());
        }
        await using var store = await RedisWindowStore.ConnectAsync(options, NoRateLimitStoreMetrics.Instance, NullLogger.Instance);
        await Row("RedisWindowStore (EVALSHA, loopback)", 1, calls, redis, async i => Check(await store.HitAsync(clientIds[i % Clients], Limits), CountSource.Shared));
        await Row("RedisWindowStore (EVALSHA, loopback)", 16, calls, redis, async i => Check(await store.HitAsync(clientIds[i % Clients], Limits), CountSource.Shared));
        await Row("RedisWindowStore token debit", 1, calls, redis, async i => await store.DebitTokensAsync(clientIds[i % Clients], 1, Limits));
        return 0;
    }

    private static void Check(WindowHit hit, CountSource expected)
    {
        if (!hit.Admitted || hit.Source != expected)
        {
            throw new InvalidOperationException($"unexpected answer {hit} (is Redis answering within the timeout?)");
        }
    }

    private static async Task Row(string name, int inFlight, int calls, RedisProcess redis, Func<int, ValueTask> call)
    {
        // Warm-up: JIT, connection, script cache, one window per client.
        for (var i = 0; i < Math.Min(calls, 5000); i++)
        {
            await call(i);
        }
        var latencies = new long[calls];
        var next = -1;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var redisBefore = redis.CpuTime();
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < calls)
            {
                var started = Stopwatch.GetTimestamp();
                await call(i);
                latencies[i] = Stopwatch.GetTimestamp() - started;
            }
        })));
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var redisCpu = redis.CpuTime() - redisBefore;
        Array.Sort(latencies);
        static string Micros(long ticks) => (ticks * 1_000_000.0 / Stopwatch.Frequency).ToString("0.00", CultureInfo.InvariantCulture);
        static string PerCall(TimeSpan total, int n) => (total.TotalMicroseconds / n).ToString("0.00", CultureInfo.InvariantCulture);
        Console.WriteLine($"| {name} | {inFlight} | {Micros(latencies[calls / 2])} | {Micros(latencies[(int)(calls * 0.99)])} | {PerCall(cpu, calls)} | {PerCall(redisCpu, calls)} |");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    /// <summary>A redis-server of its own on a free loopback port, without persistence.</summary>
    private sealed class RedisProcess : IDisposable
    {
        private readonly Process _process;

        private RedisProcess(Process process, int port, string version)
        {
            _process = process;
            Port = port;
            Version = version;
        }

        public int Port { get; }

        public string Version { get; }

        public static RedisProcess Start()
        {
            int port;
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }
            var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning" })
            {
                start.ArgumentList.Add(a);
            }
            var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (apt-get install redis-server)");
            process.OutputDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    using var client = new TcpClient();
                    client.Connect(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(10))
                {
                    Thread.Sleep(20);
                }
            }
            using var version = Process.Start(new ProcessStartInfo("redis-server", "--version") { RedirectStandardOutput = true })!;
            var text = version.StandardOutput.ReadToEnd();
            version.WaitForExit();
            var v = text.Split(' ').FirstOrDefault(p => p.StartsWith("v=", StringComparison.Ordinal))?[2..] ?? "?";
            return new RedisProcess(process, port, v);
        }

        /// <summary>utime+stime of redis-server from /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s).</summary>
        public TimeSpan CpuTime()
        {
            var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0);
        }

        public void Dispose()
        {
            _process.Kill();
            _process.WaitForExit();
            _process.Dispose();
        }
    }
}
