namespace LlmProxy.Metrics;

/// <summary>
/// Bounds the distinct values of a label a client chooses (model names): the first <c>maxValues</c> distinct values
/// are kept as they are, every later new value — and any value longer than <c>maxLength</c> characters — becomes
/// <see cref="Other"/>. Without it, a client sending random model names would create a series per request and grow
/// the proxy's memory and every scrape without bound. A known value costs one lock-free lookup.
/// </summary>
internal sealed class LabelValueCap
{
    public const string Other = "other";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _kept = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly int _maxValues;
    private readonly int _maxLength;
    private int _keptCount;

    public LabelValueCap(int maxValues, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValues);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        _maxValues = maxValues;
        _maxLength = maxLength;
    }

    /// <summary>How many distinct values are kept so far (at most the cap).</summary>
    public int KeptCount => Volatile.Read(ref _keptCount);

    /// <summary>The label value to record for <paramref name="value"/>: itself while it fits under the cap, else <see cref="Other"/>.</summary>
    public string Apply(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (_kept.TryGetValue(value, out var kept))
        {
            return kept;
        }
        if (value.Length > _maxLength || Volatile.Read(ref _keptCount) >= _maxValues)
        {
            return Other;
        }
        lock (_lock)
        {
            if (_kept.TryGetValue(value, out kept))
            {
                return kept;
            }
            if (_keptCount >= _maxValues)
            {
                return Other;
            }
            _kept[value] = value;
            Volatile.Write(ref _keptCount, _keptCount + 1);
            return value;
        }
    }
}
