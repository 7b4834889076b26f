namespace LlmProxy.Doors.Ollama;

/// <summary>
/// A model as the Ollama door lists it: the name clients send back (as the proxy's catalog knows it, no ":latest"
/// added), when the proxy learned of it (Ollama's <c>modified_at</c>), and what it is known to do (Ollama's
/// <c>capabilities</c>: "completion", and "tools", "vision", "embedding" only when something says so).
/// </summary>
internal sealed record OllamaModel(string Name, DateTimeOffset ModifiedAt, IReadOnlyList<string>? Capabilities = null)
{
    /// <summary>An OpenAI model list says nothing about what a model can do beyond text completion.</summary>
    public static readonly IReadOnlyList<string> DefaultCapabilities = ["completion"];
}
