namespace LlmProxy.Doors.Ollama;

/// <summary>What a translated Ollama request asks the door to do.</summary>
internal enum OllamaRequestKind
{
    /// <summary>The body was rejected: answer 400 with <see cref="OllamaRequest.Problem"/>.</summary>
    Invalid,

    /// <summary>Send the translated OpenAI body upstream.</summary>
    Upstream,

    /// <summary>
    /// Ollama's "load the model" call (a chat without messages, a generate without prompt, an embed without input):
    /// answered by the door itself, with no upstream call (docs/ollama.md, "Load and unload calls").
    /// </summary>
    Load,

    /// <summary>The same with <c>keep_alive: 0</c>, Ollama's "unload the model" call.</summary>
    Unload,
}

/// <summary>
/// The facts a request translator found: the kind of answer, the client's model name and whether it asked for a stream.
/// On <see cref="OllamaRequestKind.Invalid"/> the output buffer holds a partial body and must be discarded.
/// </summary>
internal readonly record struct OllamaRequest(OllamaRequestKind Kind, string? Model, bool Stream, string? Problem)
{
    public static OllamaRequest Invalid(string problem) => new(OllamaRequestKind.Invalid, null, false, problem);
}
