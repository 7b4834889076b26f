using BenchmarkDotNet.Attributes;
using LlmProxy.Doors.Classic;
using LlmProxy.Json;

namespace LlmProxy.Benchmarks;

/// <summary>
/// /proxy parses and validates the whole body (CONTRACT §2.2): the cost every seed request pays before routing.
/// </summary>
[MemoryDiagnoser]
public class SeedParserBenchmarks
{
    private byte[] _body = [];
    private readonly List<ValidationProblem> _problems = [];

    [Params("small", "large")]
    public string Size { get; set; } = "small";

    [GlobalSetup]
    public void Setup() => _body = BenchBodies.For(Size);

    [Benchmark]
    public ChatRequest? ParseAndValidate()
    {
        _problems.Clear();
        return SeedRequestParser.Parse(_body, _problems);
    }
}
