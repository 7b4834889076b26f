using LlmProxy.Http.Auth;

namespace LlmProxy.Tests.Http.Auth;

public class ModelAllowListTests
{
    [Theory]
    [InlineData("llama3*,qwen2.5", "llama3", true)]
    [InlineData("llama3*,qwen2.5", "llama3.1:70b", true)]
    [InlineData("llama3*,qwen2.5", "qwen2.5", true)]
    [InlineData("llama3*,qwen2.5", "qwen2.5:7b", false)] // exact means exact
    [InlineData("llama3*,qwen2.5", "Llama3", false)] // model names are case-sensitive, as in MODEL_PROVIDER_MAP
    [InlineData("llama3*,qwen2.5", "mistral", false)]
    [InlineData("*", "anything-at-all", true)]
    public void Models_match_exactly_or_by_prefix(string list, string model, bool allowed)
    {
        var allowList = ModelAllowList.Parse(list, out var error);
        Assert.Null(error);
        Assert.Equal(allowed, allowList!.Allows(model));
    }
}
