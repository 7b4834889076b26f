using System.Diagnostics;
using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Tests.Support;
using Xunit.Abstractions;

namespace LlmProxy.Tests.Http.RateLimiting;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementCollection
{
    public const string Name = "memory measurements (run alone)";
}

[Collection(MemoryMeasurementCollection.Name)]
public class RateLimitMemoryTests(ITestOutputHelper output)
{
    private const int Clients = 100_000;

    [Fact]
    public async Task State_of_100000_distinct_clients_is_dropped_once_their_windows_ended()
    {
        await using var proxy = await TestProxy.StartAsync(
            new ProxySettings { RateLimitEnabled = true, RateLimitMaxRequests = 1, RateLimitWindowSeconds = 1 },
            TestClientAddress.Install,
            app => app.MapGet("/test/limited", () => "ok").RequireProxyRateLimit());
        var limiters = Assert.IsType<InMemoryWindowStore>(proxy.App.Services.GetRequiredService<IWindowCounterStore>());
        using (var warmup = await proxy.Client.GetAsync("/test/limited"))
        {
            Assert.Equal(HttpStatusCode.OK, warmup.StatusCode);
        }
        var baseline = SettledHeapBytes();

        // 100,000 distinct client addresses, one request each (each spends its only permit, so its window holds state
        // until it ends). Four at a time: the box has two cores.
        var sent = Stopwatch.StartNew();
        var next = -1;
        var workers = Enumerable.Range(0, 4).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Clients)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/test/limited");
                request.Headers.TryAddWithoutValidation(TestClientAddress.Header, $"10.{(i >> 16) & 0xFF}.{(i >> 8) & 0xFF}.{i & 0xFF}");
                using var response = await proxy.Client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        });
        // The most client states alive at once, sampled while sending: the sweep runs all along (every 10 s), so on a
        // slow (shared) machine the count at the end of sending is lower than the peak.
        var maxSeen = 0;
        var sampling = Task.Run(async () =>
        {
            while (Volatile.Read(ref next) < Clients)
            {
                maxSeen = Math.Max(maxSeen, limiters.Count);
                await Task.Delay(50);
            }
        });
        await Task.WhenAll(workers);
        await sampling;
        var peakCount = Math.Max(maxSeen, limiters.Count);
        var peak = SettledHeapBytes();
        output.WriteLine($"sent {Clients} in {sent.Elapsed.TotalSeconds:F1} s; live client windows {peakCount}; heap {baseline / 1e6:F1} MB → {peak / 1e6:F1} MB");
        // The state really grew with the clients (tens of thousands alive at once: each lives until the sweep after its 1 s window).
        Assert.True(peakCount > 10_000, $"only {peakCount} client windows were alive at once during {Clients} clients");
        Assert.True(peak - baseline > 2_000_000, $"the heap grew only {(peak - baseline) / 1e6:F1} MB for {peakCount} clients");

        // Ended windows are swept at most every 10 s, triggered by the next request that finds the sweep due: one client
        // keeps coming back (its own window refills every second) while everybody else has gone.
        var waited = Stopwatch.StartNew();
        while (limiters.Count > 1 && waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            using var keepAlive = new HttpRequestMessage(HttpMethod.Get, "/test/limited");
            keepAlive.Headers.TryAddWithoutValidation(TestClientAddress.Header, "192.0.2.200");
            using var _ = await proxy.Client.SendAsync(keepAlive);
            await Task.Delay(1100);
        }
        var after = SettledHeapBytes();
        output.WriteLine($"after {waited.Elapsed.TotalSeconds:F1} s: live client windows {limiters.Count}; heap {after / 1e6:F1} MB");
        Assert.InRange(limiters.Count, 0, 1);
        // What stays is the dictionary's capacity (a ConcurrentDictionary does not shrink): bounded by the peak number
        // of clients active within one window + 10 s, not by how many distinct clients ever came.
        Assert.True(after - baseline < (peak - baseline) / 2, $"heap still {(after - baseline) / 1e6:F1} MB above the baseline (peak was {(peak - baseline) / 1e6:F1} MB)");

        // And the limit still works for a returning client.
        using var again = await proxy.Client.GetAsync("/test/limited");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    private static long SettledHeapBytes()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
