using LlmProxy.Routing;

namespace LlmProxy.Tests.Routing;

public class ModelAliasesTests
{
    [Fact]
    public void An_alias_resolves_to_its_target_and_any_other_name_to_itself()
    {
        var aliases = ModelAliases.Parse(" gpt-4o = llama3.1:8b , coder=qwen2.5-coder:7b,");
        Assert.Equal("llama3.1:8b", aliases.Resolve("gpt-4o"));
        Assert.Equal("qwen2.5-coder:7b", aliases.Resolve("coder"));
        Assert.Equal("GPT-4o", aliases.Resolve("GPT-4o"));
        Assert.Same(ModelAliases.Empty, ModelAliases.Parse("  "));
    }

    [Theory]
    [InlineData("gpt-4o", "no '='")]
    [InlineData("=llama3", "empty alias")]
    [InlineData("gpt-4o=", "empty model")]
    [InlineData("a=a", "alias of itself")]
    [InlineData("a=x,a=y", "repeats alias 'a'")]
    [InlineData("a=b,b=c", "which is an alias too")]
    public void A_bad_entry_is_refused_with_the_reason(string value, string reason)
    {
        var e = Assert.Throws<FormatException>(() => ModelAliases.Parse(value));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}
