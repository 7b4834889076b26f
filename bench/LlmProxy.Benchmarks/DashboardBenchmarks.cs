using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Http.Auth;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Http.Tracing;
using LlmProxy.Metrics;
using LlmProxy.Operations;
using LlmProxy.Operations.Ui;
using LlmProxy.Routing;
using LlmProxy.Upstreams;
using Microsoft.Extensions.DependencyInjection;

namespace LlmProxy.Benchmarks;

/// <summary>
/// What the /ui page and traces add (docs/observability.md, Measured cost): per request, the recent-requests ring's
/// write, and the request span's and the attempt span's steps with tracing off (no listener, as when
/// OTEL_EXPORTER_OTLP_ENDPOINT is unset); every 2 s, one history sample; per page refresh, one stats.json written from
/// realistic metrics (several routes and statuses, 20 models, 50 recent requests, 3 named upstreams). The services
/// are the proxy's own registrations, so the upstreams' state comes from the real <see cref="UpstreamPool"/>.
/// </summary>
[MemoryDiagnoser]
public class DashboardBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private ServiceProvider? _services;
    private RecentRequests _recent = null!;
    private DashboardHistory _history = null!;
    private DashboardStats _stats = null!;
    private RequestTracing _requestTracing = null!;
    private DefaultHttpContext _context = null!;
    private RequestOutcome _outcome = null!;
    private UpstreamRequest _request = null!;
    private Uri _server = null!;

    [GlobalSetup]
    public void Setup()
    {
        var settings = new ProxySettings
        {
            DefaultProvider = ProviderNames.Auto,
            Upstreams = [.. Enumerable.Range(0, 3).Select(i => new UpstreamDefinition($"gpu{i}", new Uri($"http://10.0.0.{i + 1}:11434/v1"),
                new UpstreamOptions { Priority = i, MaxConcurrency = 8, Models = [$"model-{i}", "llama3.1:8b"] }))],
        };
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.AddProxyAuth(settings);
        services.AddSingleton<HealthState>();
        services.AddSingleton<RecentRequests>();
        services.AddSingleton<RequestTracing>();
        services.AddProxyMetrics();
        services.AddProxyRateLimiting(settings);
        services.AddUpstreams();
        services.AddModelRouting();
        services.AddDashboard();
        _services = services.BuildServiceProvider();

        var http = _services.GetRequiredService<HttpMetrics>();
        var llm = _services.GetRequiredService<LlmMetrics>();
        string[] paths = ["/v1/chat/completions", "/proxy", "/proxy/stream", "/healthz", "/ui/stats.json", HttpMetrics.UnmatchedPath];
        int[] statuses = [200, 400, 401, 404, 429, 502];
        foreach (var path in paths)
        {
            foreach (var status in statuses)
            {
                http.Observe("POST", path, status, 0.012);
            }
        }
        for (var i = 0; i < 20; i++)
        {
            var model = llm.For("gpu0", $"model-{i}");
            model.RequestCompleted(200, 0.8);
            model.FirstToken(0.1);
            model.Tokens(120, 40);
        }

        _recent = _services.GetRequiredService<RecentRequests>();
        _history = _services.GetRequiredService<DashboardHistory>();
        _stats = _services.GetRequiredService<DashboardStats>();
        _requestTracing = _services.GetRequiredService<RequestTracing>();
        _context = new DefaultHttpContext();
        _context.Request.Method = "POST";
        _context.TraceIdentifier = "8f3c2b1a9d7e4f60a1b2c3d4e5f60718";
        _outcome = RequestOutcome.Of(_context);
        _outcome.Model = "llama3.1:8b";
        _outcome.Provider = "gpu0";
        _outcome.PromptTokens = 20;
        _outcome.CompletionTokens = 40;
        _outcome.Complete(_context);
        for (var i = 0; i < RecentRequests.Capacity; i++)
        {
            _recent.Add(_context, _outcome);
        }
        for (var i = 0; i < DashboardHistory.Capacity; i++)
        {
            _history.Sample();
        }
        _request = new UpstreamRequest(UpstreamEndpoint.ChatCompletions, "llama3.1:8b", Stream: true, IncludeUsage: false, ReadOnlyMemory<byte>.Empty);
        _server = new Uri("http://10.0.0.1:11434/v1");
        if (_services.GetRequiredService<UpstreamPool>().Statuses().Count != 3)
        {
            throw new InvalidOperationException("the pool should list the 3 upstreams");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _services?.Dispose();

    /// <summary>Per request: one record into the ring (the only allocation the page adds to a request).</summary>
    [Benchmark]
    public void RecentRequestsAdd() => _recent.Add(_context, _outcome);

    /// <summary>Per request, tracing off: the request span's step is one branch on a field.</summary>
    [Benchmark]
    public void RequestSpanWithTracingOff() => _requestTracing.Record(_context, _outcome);

    /// <summary>Per upstream attempt, tracing off: one <c>HasListeners()</c> check.</summary>
    [Benchmark]
    public object? AttemptSpanWithTracingOff() => UpstreamTracing.Start("gpu0", _request, _server);

    /// <summary>Every 2 s: one point of the page's charts.</summary>
    [Benchmark]
    public void HistorySample() => _history.Sample();

    /// <summary>Per page refresh (every 2 s per open page): the whole stats.json.</summary>
    [Benchmark]
    public long StatsJson()
    {
        _output.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_output))
        {
            _stats.Write(json);
        }
        return _output.WrittenCount;
    }
}
