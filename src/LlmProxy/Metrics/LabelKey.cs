namespace LlmProxy.Metrics;

/// <summary>
/// The label values of one series (up to three labels, the most any family here needs). A value type with ordinal
/// string equality, so looking up an existing series allocates nothing.
/// </summary>
public readonly record struct LabelKey(string? First, string? Second, string? Third)
{
    public static readonly LabelKey None;

    /// <summary>The values in label order, for the one-time encoding of a new series.</summary>
    public string[] ToArray(int count) => count switch
    {
        0 => [],
        1 => [First!],
        2 => [First!, Second!],
        _ => [First!, Second!, Third!],
    };
}
