namespace LlmProxy.Upstreams;

/// <summary>What the relay needs to know about an upstream event.</summary>
public enum SseEventKind
{
    /// <summary>An ordinary event (a chunk, a comment): relayed as it is.</summary>
    Data,

    /// <summary><c>data: [DONE]</c>.</summary>
    Done,

    /// <summary><c>data: {"error":...}</c>, vLLM's <c>data: {"object":"error",...}</c>, or llama.cpp's <c>error: {...}</c> field.</summary>
    Error,
}
