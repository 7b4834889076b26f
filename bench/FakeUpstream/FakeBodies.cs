namespace LlmProxy.Bench.FakeUpstream;

/// <summary>Pre-encoded answers in the shapes an OpenAI-compatible server sends (Ollama's /v1 included).</summary>
public static class FakeBodies
{
    public static readonly byte[] Completion =
        """{"id":"chatcmpl-fake","object":"chat.completion","created":1700000000,"model":"bench-model","system_fingerprint":"fp_fake","choices":[{"index":0,"message":{"role":"assistant","content":"The quick brown fox jumps over the lazy dog."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":10,"total_tokens":22}}"""u8.ToArray();

    public static readonly byte[] Models =
        """{"object":"list","data":[{"id":"bench-model","object":"model","created":1700000000,"owned_by":"library"}]}"""u8.ToArray();

    public static readonly byte[] RoleChunk =
        "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench-model\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"u8.ToArray();

    public static readonly byte[] ContentChunk =
        "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench-model\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok \"},\"finish_reason\":null}]}\n\n"u8.ToArray();

    public static readonly byte[] FinishChunk =
        "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench-model\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":10,\"total_tokens\":22}}\n\n"u8.ToArray();

    public static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
}
