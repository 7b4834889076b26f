namespace LlmProxy.Doors.Ollama;

/// <summary>
/// What a response translator found in the upstream's answer: whether it was the expected OpenAI shape at all (when not,
/// nothing was written and the door answers 502), and the token counts from its <c>usage</c> for metrics and logs.
/// </summary>
internal readonly record struct OllamaAnswer(bool Translated, long? PromptTokens, long? CompletionTokens)
{
    public static OllamaAnswer NotTranslated => new(false, null, null);
}
