using BenchmarkDotNet.Attributes;
using LlmProxy.Doors.OpenAi;

namespace LlmProxy.Benchmarks;

/// <summary>
/// The only parse of a /v1 body (docs/api.md, OpenAI routes): one <c>Utf8JsonReader</c> pass for <c>model</c> and <c>stream</c>
/// over the pooled bytes, everything else skipped. Paid once per /v1 request before forwarding.
/// </summary>
[MemoryDiagnoser]
public class SnifferBenchmarks
{
    private byte[] _body = [];

    [Params("small", "large")]
    public string Size { get; set; } = "small";

    [GlobalSetup]
    public void Setup() => _body = BenchBodies.For(Size);

    [Benchmark]
    public bool Sniff() => OpenAiBodySniffer.Sniff(_body, out _, out _) is { Stream: true };
}
