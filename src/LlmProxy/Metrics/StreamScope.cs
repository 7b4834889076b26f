namespace LlmProxy.Metrics;

/// <summary>Holds one count in <c>llm_streams_in_flight</c> until disposed (a struct: no allocation per stream).</summary>
public readonly struct StreamScope : IDisposable
{
    private readonly GaugeChild? _gauge;

    internal StreamScope(GaugeChild gauge)
    {
        _gauge = gauge;
        gauge.Inc();
    }

    public void Dispose() => _gauge?.Dec();
}
