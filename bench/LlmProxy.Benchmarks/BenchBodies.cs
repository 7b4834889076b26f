namespace LlmProxy.Benchmarks;

/// <summary>Request bodies of the sizes a chat client sends: a one-line question and a long conversation.</summary>
public static class BenchBodies
{
    public static readonly byte[] Small =
        """{"model":"bench-model","messages":[{"role":"system","content":"You are a terse assistant."},{"role":"user","content":"Say hello in five words."}],"temperature":0.2,"max_tokens":64,"stream":false}"""u8.ToArray();

    /// <summary>About 16 KB: 40 turns, with <c>model</c> and <c>stream</c> at the end (clients put them anywhere).</summary>
    public static readonly byte[] Large = BuildLarge();

    public static byte[] For(string size) => size == "large" ? Large : Small;

    private static byte[] BuildLarge()
    {
        var text = string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet, \\\"quoted\\\" text ", 8));
        var sb = new System.Text.StringBuilder("{\"messages\":[");
        for (var i = 0; i < 40; i++)
        {
            var role = i % 2 == 0 ? "user" : "assistant";
            sb.Append(i == 0 ? "" : ",").Append("{\"role\":\"").Append(role).Append("\",\"content\":\"").Append(text).Append("\"}");
        }
        sb.Append("],\"temperature\":0.7,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}}],");
        sb.Append("\"model\":\"bench-model\",\"stream\":true}");
        return System.Text.Encoding.UTF8.GetBytes(sb.ToString());
    }
}
