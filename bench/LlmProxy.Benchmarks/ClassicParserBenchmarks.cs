using BenchmarkDotNet.Attributes;
using LlmProxy.Doors.Classic;

namespace LlmProxy.Benchmarks;

/// <summary>
/// /proxy parses and validates the whole body (docs/api.md, Classic routes): the cost every classic request pays
/// before routing.
/// </summary>
[MemoryDiagnoser]
public class ClassicParserBenchmarks
{
    private byte[] _body = [];
    private readonly List<ValidationProblem> _problems = [];

    [Params("small", "large")]
    public string Size { get; set; } = "small";

    [GlobalSetup]
    public void Setup() => _body = BenchBodies.For(Size);

    [Benchmark]
    public bool ParseAndValidate()
    {
        _problems.Clear();
        return ClassicRequestParser.Parse(_body, _problems) is not null;
    }
}
