using System.Buffers;
using BenchmarkDotNet.Attributes;
using LlmProxy.Metrics;

namespace LlmProxy.Benchmarks;

/// <summary>
/// The metrics paid on every request (docs/operations.md, Metrics): the HTTP series update (label lookup, counter, histogram) and the
/// LLM series update by provider and model; and one <c>/metrics</c> scrape written to UTF-8 with a realistic number
/// of series (several routes and statuses, 20 models).
/// </summary>
[MemoryDiagnoser]
public class MetricsBenchmarks
{
    private readonly MetricsRegistry _registry = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private HttpMetrics _http = null!;
    private LlmMetrics _llm = null!;

    [GlobalSetup]
    public void Setup()
    {
        _http = new HttpMetrics(_registry);
        _llm = new LlmMetrics(_registry);
        string[] paths = ["/v1/chat/completions", "/proxy", "/proxy/stream", "/healthz", HttpMetrics.UnmatchedPath];
        int[] statuses = [200, 400, 401, 404, 429, 502];
        foreach (var path in paths)
        {
            foreach (var status in statuses)
            {
                _http.Observe("POST", path, status, 0.012);
            }
        }
        for (var i = 0; i < 20; i++)
        {
            var model = _llm.For("ollama", $"model-{i}");
            model.RequestCompleted(200, 0.8);
            model.FirstToken(0.1);
            model.Tokens(120, 40);
        }
    }

    [Benchmark]
    public void HttpObserve() => _http.Observe("POST", "/v1/chat/completions", 200, 0.0123);

    [Benchmark]
    public void LlmRequestCompleted() => _llm.For("ollama", "model-7").RequestCompleted(200, 0.0123);

    [Benchmark]
    public int Scrape()
    {
        _buffer.ResetWrittenCount();
        _registry.WriteTo(_buffer);
        return _buffer.WrittenCount;
    }
}
