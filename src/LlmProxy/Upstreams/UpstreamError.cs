namespace LlmProxy.Upstreams;

/// <summary>
/// What an upstream error body said, whatever its shape (see <see cref="UpstreamErrorParser"/>): the message kept
/// as the upstream wrote it, and the OpenAI fields when it had them (a numeric <c>code</c> is dropped: the envelope's
/// <c>code</c> is a string).
/// </summary>
public sealed record UpstreamError(int Status, string Message, string? Type, string? Param, string? Code)
{
    /// <summary>The upstream does not know the model (CONTRACT §5): each server words it differently.</summary>
    public bool IsModelNotFound =>
        string.Equals(Code, "model_not_found", StringComparison.Ordinal)
        || (Status is 404 or 400 or 500 && LooksLikeModelNotFound(Message));

    // Ollama: `model "x" not found, try pulling it first`; vLLM: "The model `x` does not exist.";
    // LocalAI: `model "x" not found` (status 404, or 500 from older builds that fail while loading).
    private static bool LooksLikeModelNotFound(string message) =>
        message.Contains("model", StringComparison.OrdinalIgnoreCase)
        && (message.Contains("not found", StringComparison.OrdinalIgnoreCase) || message.Contains("does not exist", StringComparison.OrdinalIgnoreCase));
}
