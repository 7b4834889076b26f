using LlmProxy.Routing;

namespace LlmProxy.Tests.Routing;

public class ModelProviderMapTests
{
    [Fact]
    public void Exact_beats_prefix_and_the_longest_prefix_wins()
    {
        var map = ModelProviderMap.Parse("llama*=stub, llama3*=ollama, llama3:8b=stub, gpt-4=ollama");
        Assert.Equal("stub", map.Match("llama3:8b"));
        Assert.Equal("ollama", map.Match("llama3:70b"));
        Assert.Equal("stub", map.Match("llama2"));
        Assert.Equal("ollama", map.Match("gpt-4"));
        Assert.Null(map.Match("gpt-4o"));
        Assert.Null(map.Match("mistral"));
    }

    [Fact]
    public void Whitespace_is_trimmed_and_empty_entries_ignored()
    {
        var map = ModelProviderMap.Parse("  a = stub ,, b* =  OLLAMA ,");
        Assert.Equal("stub", map.Match("a"));
        Assert.Equal("ollama", map.Match("bee"));
        Assert.Equal(["a"], map.ExactModels);
    }

    [Fact]
    public void A_bare_star_matches_everything()
    {
        Assert.Equal("ollama", ModelProviderMap.Parse("*=ollama").Match("anything"));
    }

    [Theory]
    [InlineData("gpt-4", "no '='")]
    [InlineData("=stub", "empty model name")]
    [InlineData("a=", "unknown provider")]
    [InlineData("a=openai", "unknown provider 'openai'")]
    [InlineData("a*b=stub", "'*' is only allowed at the end")]
    [InlineData("a=stub,a=ollama", "repeats model 'a'")]
    [InlineData("a*=stub,a*=ollama", "repeats prefix 'a*'")]
    public void Malformed_entries_are_errors_naming_the_entry(string value, string expected)
    {
        var e = Assert.Throws<FormatException>(() => ModelProviderMap.Parse(value));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
