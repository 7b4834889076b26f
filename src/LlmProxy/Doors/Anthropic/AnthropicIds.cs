using System.Security.Cryptography;

namespace LlmProxy.Doors.Anthropic;

/// <summary>Ids in Anthropic's style: <c>msg_…</c> for messages and <c>toolu_…</c> for tool calls the upstream left unnamed.</summary>
internal static class AnthropicIds
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>
    /// The message id for a request: <c>msg_</c> + its request id, so the id a client logs leads to the proxy's log line
    /// (request ids are 1–128 characters of <c>[A-Za-z0-9._:-]</c>).
    /// </summary>
    public static string ForMessage(string requestId) => "msg_" + requestId;

    /// <summary>A fresh tool-use id (24 random base-62 characters, as Anthropic's own are).</summary>
    public static string NewToolUseId() => "toolu_" + RandomNumberGenerator.GetString(Base62, 24);
}
