namespace LlmProxy.Metrics;

/// <summary>The label text of each <see cref="UpstreamErrorKind"/>.</summary>
public static class UpstreamErrorKinds
{
    private static readonly string[] Labels =
        ["connect", "timeout", "model_not_found", "rate_limited", "client_error", "server_error", "stream_interrupted", "invalid_response"];

    public static int Count => Labels.Length;

    public static string Label(UpstreamErrorKind kind) =>
        (uint)kind < (uint)Labels.Length ? Labels[(int)kind] : throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown upstream error kind");
}
