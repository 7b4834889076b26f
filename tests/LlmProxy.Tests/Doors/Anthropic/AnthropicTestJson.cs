using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using LlmProxy.Doors.Anthropic;

namespace LlmProxy.Tests.Doors.Anthropic;

/// <summary>Small helpers shared by the Anthropic door's tests.</summary>
internal static class AnthropicTestJson
{
    public static AnthropicRequest Parse(string json, bool requireMaxTokens = true)
    {
        var result = AnthropicRequestParser.Parse(Encoding.UTF8.GetBytes(json), requireMaxTokens);
        Assert.True(result.IsValid, result.Problem);
        return result.Request;
    }

    /// <summary>The OpenAI body the door would send for <paramref name="anthropicJson"/>, parsed.</summary>
    public static JsonNode ToOpenAi(string anthropicJson, string? upstreamModel = null) =>
        JsonNode.Parse(ToOpenAiText(anthropicJson, upstreamModel))!;

    public static string ToOpenAiText(string anthropicJson, string? upstreamModel = null)
    {
        var request = Parse(anthropicJson);
        var output = new ArrayBufferWriter<byte>();
        request.WriteOpenAiBody(output, upstreamModel);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    public static string Problem(string json, bool requireMaxTokens = true) => Problem(Encoding.UTF8.GetBytes(json), requireMaxTokens);

    public static string Problem(byte[] body, bool requireMaxTokens = true)
    {
        var result = AnthropicRequestParser.Parse(body, requireMaxTokens);
        Assert.False(result.IsValid, "the request was accepted");
        return result.Problem;
    }

    public static void Equal(string expected, JsonNode? actual)
    {
        var expectedNode = JsonNode.Parse(expected);
        Assert.True(JsonNode.DeepEquals(expectedNode, actual), $"expected\n{expectedNode?.ToJsonString()}\nactual\n{actual?.ToJsonString()}");
    }

    /// <summary>
    /// A string as Python's json.dumps writes it (ensure_ascii): every non-ASCII UTF-16 unit as \uXXXX, one by one, so
    /// a piece that ends inside a surrogate pair carries a lone surrogate escape, as a Python server's chunk can.
    /// </summary>
    public static string PyEscape(string text)
    {
        var escaped = new StringBuilder(text.Length + 2);
        foreach (var c in text)
        {
            switch (c)
            {
                case '"':
                    escaped.Append("\\\"");
                    break;
                case '\\':
                    escaped.Append("\\\\");
                    break;
                case '\n':
                    escaped.Append("\\n");
                    break;
                case < ' ' or > '~':
                    escaped.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    escaped.Append(c);
                    break;
            }
        }
        return escaped.ToString();
    }
}
