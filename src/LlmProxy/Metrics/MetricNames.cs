namespace LlmProxy.Metrics;

/// <summary>Name rules of the data model (https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels).</summary>
public static class MetricNames
{
    /// <summary><c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>.</summary>
    public static bool IsValidMetricName(string name) =>
        name.Length > 0 && IsNameStart(name[0], allowColon: true) && name.AsSpan(1).ContainsAnyExcept(NameChars) is false;

    /// <summary><c>[a-zA-Z_][a-zA-Z0-9_]*</c>, and not starting with <c>__</c> (reserved for Prometheus itself).</summary>
    public static bool IsValidLabelName(string name) =>
        name.Length > 0 && IsNameStart(name[0], allowColon: false) && !name.StartsWith("__", StringComparison.Ordinal)
        && name.AsSpan(1).ContainsAnyExcept(LabelChars) is false;

    private static bool IsNameStart(char c, bool allowColon) => char.IsAsciiLetter(c) || c == '_' || (allowColon && c == ':');

    private static readonly System.Buffers.SearchValues<char> NameChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:");

    private static readonly System.Buffers.SearchValues<char> LabelChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
}
