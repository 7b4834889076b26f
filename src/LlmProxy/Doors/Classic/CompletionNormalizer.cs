using System.Text.Json;
using LlmProxy.Json;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.Classic;

/// <summary>
/// Turns an upstream's non-streaming chat answer into the classic route's <c>chat.completion</c> (docs/api.md, Classic
/// routes: "normalised whatever the upstream sent"): missing ids, timestamps, roles and usage are filled in, a null content (a tool call)
/// becomes "". Used by /proxy only; /v1 passes the upstream's bytes through untouched. Text the upstream wrote with a
/// lone surrogate escape (a model that split an emoji) is kept with U+FFFD in its place.
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
            return Normalize(document.RootElement, requestModel, fallbackId, now);
        }
    }

    private static ChatCompletion? Normalize(JsonElement root, string requestModel, string fallbackId, long now)
    {
        if (root.ValueKind != JsonValueKind.Object || !JsonText.TryGetProperty(root, "choices"u8, out var choicesElement) || choicesElement.ValueKind != JsonValueKind.Array)
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
            var message = JsonText.TryGetProperty(choice, "message"u8, out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
            choices.Add(new ChatChoice(
                Int(choice, "index"u8) ?? index,
                new ChatMessage(
                    message.ValueKind == JsonValueKind.Object ? String(message, "role"u8) ?? "assistant" : "assistant",
                    message.ValueKind == JsonValueKind.Object ? String(message, "content"u8) ?? "" : ""),
                String(choice, "finish_reason"u8)));
            index++;
        }
        var usage = JsonText.TryGetProperty(root, "usage"u8, out var u) && u.ValueKind == JsonValueKind.Object ? u : default;
        var prompt = usage.ValueKind == JsonValueKind.Object ? Int(usage, "prompt_tokens"u8) ?? 0 : 0;
        var completion = usage.ValueKind == JsonValueKind.Object ? Int(usage, "completion_tokens"u8) ?? 0 : 0;
        var total = usage.ValueKind == JsonValueKind.Object ? Int(usage, "total_tokens"u8) ?? prompt + completion : prompt + completion;
        return new ChatCompletion(
            String(root, "id"u8) ?? fallbackId,
            "chat.completion",
            JsonText.TryGetProperty(root, "created"u8, out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var created) ? created : now,
            String(root, "model"u8) ?? requestModel,
            choices,
            new ChatUsage(prompt, completion, total));
    }

    private static string? String(JsonElement element, ReadOnlySpan<byte> name) =>
        JsonText.TryGetProperty(element, name, out var value) && value.ValueKind == JsonValueKind.String ? JsonText.GetStringLenient(value) : null;

    private static int? Int(JsonElement element, ReadOnlySpan<byte> name) =>
        JsonText.TryGetProperty(element, name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : null;
}
