using System.Text.Json;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.Classic;

/// <summary>
/// Turns an upstream's non-streaming chat answer into the classic route's <c>chat.completion</c> (docs/api.md, Classic
/// routes: "normalised whatever the upstream sent"): missing ids, timestamps, roles and usage are filled in, a null content (a tool call)
/// becomes "". Used by /proxy only; /v1 passes the upstream's bytes through untouched.
/// </summary>
internal static class CompletionNormalizer
{
    /// <summary>The completion, or null when the body is not a chat completion at all (no <c>choices</c> array).</summary>
    public static ChatCompletion? Normalize(ReadOnlyMemory<byte> body, string requestModel, string fallbackId, long now)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choicesElement) || choicesElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }
            var choices = new List<ChatChoice>(choicesElement.GetArrayLength());
            var index = 0;
            foreach (var choice in choicesElement.EnumerateArray())
            {
                if (choice.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }
                var message = choice.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
                choices.Add(new ChatChoice(
                    Int(choice, "index") ?? index,
                    new ChatMessage(
                        message.ValueKind == JsonValueKind.Object ? String(message, "role") ?? "assistant" : "assistant",
                        message.ValueKind == JsonValueKind.Object ? String(message, "content") ?? "" : ""),
                    String(choice, "finish_reason")));
                index++;
            }
            var usage = root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object ? u : default;
            var prompt = usage.ValueKind == JsonValueKind.Object ? Int(usage, "prompt_tokens") ?? 0 : 0;
            var completion = usage.ValueKind == JsonValueKind.Object ? Int(usage, "completion_tokens") ?? 0 : 0;
            var total = usage.ValueKind == JsonValueKind.Object ? Int(usage, "total_tokens") ?? prompt + completion : prompt + completion;
            return new ChatCompletion(
                String(root, "id") ?? fallbackId,
                "chat.completion",
                root.TryGetProperty("created", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var created) ? created : now,
                String(root, "model") ?? requestModel,
                choices,
                new ChatUsage(prompt, completion, total));
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : null;
}
