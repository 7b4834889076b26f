namespace LlmProxy.Metrics;

/// <summary>A counter family: whole-number totals that only go up (names end in <c>_total</c>, as promtool demands).</summary>
internal sealed class Counter(string name, string help, params string[] labelNames)
    : LabelledFamily<CounterChild>(name, help, MetricType.Counter, labelNames)
{
    protected override CounterChild CreateChild(byte[] labelPairs) => new(SamplePrefix(Name, labelPairs));
}

/// <summary>One counter series.</summary>
internal sealed class CounterChild(byte[] samplePrefix) : LongSeries(samplePrefix)
{
    public void Inc() => Add(1);

    /// <summary>Adds <paramref name="amount"/>, which must not be negative (a counter never goes down).</summary>
    public void Inc(long amount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        Add(amount);
    }
}
