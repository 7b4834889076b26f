using LlmProxy.Cli;

namespace LlmProxy.Tests.Cli;

public class EnvFileTests
{
    [Fact]
    public void Reads_comments_blanks_quotes_and_export()
    {
        var values = EnvFile.Parse("# a comment\n\nA=1\r\nexport B=two\nC=\"quoted # not a comment\"\nD='single'\nE=value # trailing\nF=\n", ".env");
        Assert.Equal("1", values["A"]);
        Assert.Equal("two", values["B"]);
        Assert.Equal("quoted # not a comment", values["C"]);
        Assert.Equal("single", values["D"]);
        Assert.Equal("value", values["E"]);
        Assert.Equal("", values["F"]);
    }

    [Fact]
    public void A_line_without_equals_is_an_error_with_its_line_number()
    {
        var e = Assert.Throws<FormatException>(() => EnvFile.Parse("A=1\nnonsense\n", "my.env"));
        Assert.Contains("my.env:2", e.Message, StringComparison.Ordinal);
    }
}
