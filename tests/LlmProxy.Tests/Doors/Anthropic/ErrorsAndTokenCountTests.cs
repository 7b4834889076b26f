using System.Buffers;
using System.Text.Json.Nodes;
using LlmProxy.Doors.Anthropic;
using static LlmProxy.Tests.Doors.Anthropic.AnthropicTestJson;

namespace LlmProxy.Tests.Doors.Anthropic;

public class ErrorsAndTokenCountTests
{
    [Theory]
    [InlineData(400, "invalid_request_error")]
    [InlineData(422, "invalid_request_error")]
    [InlineData(405, "invalid_request_error")]
    [InlineData(401, "authentication_error")]
    [InlineData(403, "permission_error")]
    [InlineData(404, "not_found_error")]
    [InlineData(413, "request_too_large")]
    [InlineData(429, "rate_limit_error")]
    [InlineData(500, "api_error")]
    [InlineData(502, "api_error")]
    [InlineData(503, "overloaded_error")]
    [InlineData(504, "api_error")]
    [InlineData(529, "overloaded_error")]
    public void Each_status_has_its_Anthropic_error_type(int status, string type) =>
        Assert.Equal(type, AnthropicErrors.TypeFor(status));

    [Fact]
    public void The_error_body_is_Anthropics_shape_with_the_request_id()
    {
        var body = JsonNode.Parse(AnthropicErrors.Body(404, "model \"nope\" is not served here", "req-1"));
        Equal("""
            {"type":"error","error":{"type":"not_found_error","message":"model \"nope\" is not served here"},"request_id":"req-1"}
            """, body);
        Equal("""{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}""", JsonNode.Parse(AnthropicErrors.Body(429, "slow down")));
    }

    [Fact]
    public void Message_ids_carry_the_request_id()
    {
        Assert.Equal("msg_0af3c9", AnthropicIds.ForMessage("0af3c9"));
        Assert.Matches("^toolu_[0-9A-Za-z]{24}$", AnthropicIds.NewToolUseId());
    }

    [Fact]
    public void Count_tokens_estimates_a_quarter_token_per_byte_plus_fixed_costs()
    {
        // 40 bytes of text (with quotes, as sent) and one message: ceil(40 / 4) + 4.
        var request = Parse("""{"model":"m","messages":[{"role":"user","content":"abcdefghijklmnopqrstuvwxyz0123456789"}]}""", requireMaxTokens: false);
        Assert.Equal(38 / 4 + 1 + AnthropicTokenEstimator.PerMessage, request.EstimateInputTokens());
    }

    [Fact]
    public void Count_tokens_grows_with_system_tools_images_and_tool_traffic()
    {
        const string messages = """[{"role":"user","content":"What is the weather?"}]""";
        var bare = Parse($$"""{"model":"m","messages":{{messages}}}""", requireMaxTokens: false).EstimateInputTokens();
        var withSystem = Parse($$"""{"model":"m","system":"You are a weather bot that answers briefly.","messages":{{messages}}}""", requireMaxTokens: false).EstimateInputTokens();
        const string tools = """[{"name":"get_weather","description":"Current weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]""";
        var withTool = Parse("{\"model\":\"m\",\"messages\":" + messages + ",\"tools\":" + tools + "}", requireMaxTokens: false).EstimateInputTokens();
        var withImage = Parse("""{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"What is the weather?"},{"type":"image","source":{"type":"url","url":"https://x/y.png"}}]}]}""", requireMaxTokens: false).EstimateInputTokens();
        var withRoundTrip = Parse("""
            {"model":"m","messages":[{"role":"user","content":"What is the weather?"},
              {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"get_weather","input":{"city":"Paris"}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"18 C and sunny"}]}]}
            """, requireMaxTokens: false).EstimateInputTokens();
        Assert.True(withSystem > bare + 8, $"{withSystem} vs {bare}");
        Assert.True(withTool > bare + AnthropicTokenEstimator.PerTool + 10, $"{withTool} vs {bare}");
        Assert.True(withImage >= bare + AnthropicTokenEstimator.PerImage, $"{withImage} vs {bare}");
        Assert.True(withRoundTrip > bare + (2 * AnthropicTokenEstimator.PerMessage) + 8, $"{withRoundTrip} vs {bare}");
    }

    [Fact]
    public void Upstream_usage_in_a_stream_is_reported_for_the_metrics()
    {
        var translator = new AnthropicStreamTranslator(new AnthropicReplyOptions("msg_x", "m"));
        Assert.Equal(new TokenUsage(null, null), translator.Usage);
        translator.OnChunk(System.Text.Encoding.UTF8.GetBytes(StreamTranslationTests.UsageChunk(17, 4)), new ArrayBufferWriter<byte>());
        Assert.Equal(new TokenUsage(17, 4), translator.Usage);
    }
}
