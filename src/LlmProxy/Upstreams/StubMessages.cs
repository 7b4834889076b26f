using System.Text.Json;
using LlmProxy.Json;

namespace LlmProxy.Upstreams;

/// <summary>
/// The text messages of a /v1 chat body, leniently (content parts, tool messages and odd shapes are skipped): the stub
/// only counts their words for its usage figures.
/// </summary>
public static class StubMessages
{
    public static IReadOnlyList<ChatMessage> Read(ReadOnlyMemory<byte> body)
    {
        var messages = new List<ChatMessage>();
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("messages", out var array)
                && array.ValueKind == JsonValueKind.Array)
            {
                foreach (var message in array.EnumerateArray())
                {
                    if (message.ValueKind == JsonValueKind.Object
                        && message.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String
                        && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                    {
                        messages.Add(new ChatMessage(role.GetString()!, content.GetString()!));
                    }
                }
            }
        }
        catch (JsonException)
        {
            // The sniffer already proved the body is JSON; nothing more to learn here.
        }
        return messages;
    }
}
