using System.Text;
using LlmProxy.Upstreams;

namespace LlmProxy.Tests.Upstreams;

public class UpstreamErrorParserTests
{
    [Theory]
    [InlineData("""{"error":{"message":"m1","type":"t","param":"p","code":"c"}}""", "m1", "t", "p", "c")]
    [InlineData("""{"error":{"message":"m2","type":"NotFoundError","param":"model","code":404}}""", "m2", "NotFoundError", "model", null)]
    [InlineData("""{"object":"error","message":"m3","type":"BadRequestError","param":null,"code":400}""", "m3", "BadRequestError", null, null)]
    [InlineData("""{"error":"m4"}""", "m4", null, null, null)]
    [InlineData("""{"detail":"m5"}""", "m5", null, null, null)]
    [InlineData("plain text m6\n", "plain text m6", null, null, null)]
    public void Every_shape_keeps_the_upstream_message(string body, string message, string? type, string? param, string? code)
    {
        var error = UpstreamErrorParser.Parse(400, Encoding.UTF8.GetBytes(body));
        Assert.Equal((message, type, param, code), (error.Message, error.Type, error.Param, error.Code));
    }

    [Fact]
    public void An_empty_body_gets_a_message_naming_the_status() =>
        Assert.Contains("403", UpstreamErrorParser.Parse(403, default).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData(404, "model 'x' not found", null, true)]
    [InlineData(404, "The model `x` does not exist.", null, true)]
    [InlineData(400, "whatever", "model_not_found", true)]
    [InlineData(404, "404 page not found", null, false)]
    [InlineData(401, "model x not found", null, false)]
    public void Model_not_found_is_recognised_by_code_or_wording(int status, string message, string? code, bool expected) =>
        Assert.Equal(expected, new UpstreamError(status, message, null, null, code).IsModelNotFound);
}
