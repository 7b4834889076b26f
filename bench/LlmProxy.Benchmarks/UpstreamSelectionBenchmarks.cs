using BenchmarkDotNet.Attributes;
using LlmProxy.Configuration;
using LlmProxy.Http.Auth;
using LlmProxy.Metrics;
using LlmProxy.Routing;
using LlmProxy.Upstreams;
using Microsoft.Extensions.DependencyInjection;

namespace LlmProxy.Benchmarks;

/// <summary>
/// The selection step of many upstreams (docs/upstreams.md, Choosing an upstream), paid once per request before the
/// first attempt: the route (alias, map, the model lists' index), the choice among the candidates (health, room,
/// priority, load, round robin) and taking and giving back a slot — with 1, 3 and 10 upstreams that all list the model,
/// with and without a concurrency limit. No I/O: the cost the proxy adds to a request by having several upstreams.
/// </summary>
[MemoryDiagnoser]
public class UpstreamSelectionBenchmarks
{
    private ServiceProvider? _services;
    private ModelRouter? _router;
    private uint _rotation;

    // Kept, as a door keeps it for its request: the route object is then really allocated, as in the proxy.
    private RoutedUpstream? _lastRoute;

    [Params(1, 3, 10)]
    public int Upstreams { get; set; }

    [Params(false, true)]
    public bool Limited { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var settings = new ProxySettings
        {
            DefaultProvider = ProviderNames.Auto,
            ModelAliases = "gpt-4o=llama3.1:8b",
            Upstreams = [.. Enumerable.Range(0, Upstreams).Select(i => new UpstreamDefinition($"u{i}", new Uri($"http://10.0.0.{i + 1}:8000/v1"),
                new UpstreamOptions { Priority = i % 2, MaxConcurrency = Limited ? 64 : 0, Models = ["llama3.1:8b", "qwen2.5-coder:7b", $"only-{i}"] }))],
        };
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.AddProxyAuth(settings);
        services.AddProxyMetrics();
        services.AddUpstreams();
        services.AddModelRouting();
        _services = services.BuildServiceProvider();
        _router = _services.GetRequiredService<ModelRouter>();
    }

    [GlobalCleanup]
    public void Cleanup() => _services?.Dispose();

    /// <summary>Route an aliased model, choose, take a slot, give it back.</summary>
    [Benchmark]
    public int RouteChooseAndSlot()
    {
        var route = _lastRoute = _router!.Route("gpt-4o");
        var index = CandidateSelector.Pick(route.Candidates, excluded: 0, ++_rotation);
        var gate = route.Candidates[index].Gate;
        // With a free slot the acquisition completes synchronously: no task, no wait.
        var slot = gate.AcquireAsync(TimeSpan.Zero, CancellationToken.None);
        if (!slot.IsCompletedSuccessfully || !slot.Result)
        {
            throw new InvalidOperationException("no slot");
        }
        gate.Release();
        return index;
    }
}
