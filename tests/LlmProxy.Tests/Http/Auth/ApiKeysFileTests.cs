using LlmProxy.Http.Auth;

namespace LlmProxy.Tests.Http.Auth;

public class ApiKeysFileTests
{
    [Fact]
    public void A_line_carries_the_key_and_optionally_name_rpm_tpm_and_models()
    {
        var entries = ApiKeysFile.Parse(
            """
            # team keys
            sk-alice-1 name=alice rpm=60 tpm=100000 models=llama3*,qwen*

            sk-bob	name=bob   # tab-separated, with a trailing comment
            sk-plain
            """,
            "keys.txt");
        Assert.Equal(3, entries.Count);
        var alice = entries[0];
        Assert.Equal(("alice", 60L, 100000L), (alice.Name, alice.RequestsPerMinute, alice.TokensPerMinute));
        Assert.True(alice.AllowsModel("llama3.1:8b"));
        Assert.True(alice.AllowsModel("qwen2.5"));
        Assert.False(alice.AllowsModel("mistral"));
        Assert.Equal("key:alice", alice.ClientId);
        Assert.Equal("bob", entries[1].Name);
        Assert.Null(entries[1].RequestsPerMinute);
        Assert.True(entries[1].AllowsModel("anything"));
        Assert.False(entries[2].IsNamed);
        Assert.Matches("^key-[0-9a-f]{12}$", entries[2].Name);
    }

    [Fact]
    public void Windows_line_ends_and_a_byte_order_mark_are_tolerated()
    {
        var entries = ApiKeysFile.Parse("\uFEFFsk-a name=a\r\nsk-b\r\n", "keys.txt");
        Assert.Equal(["a", entries[1].Name], entries.Select(e => e.Name));
        Assert.NotNull(ApiKeyTable.Create([], entries).Find("sk-b"));
    }

    [Fact]
    public void Zero_means_unlimited_for_that_key()
    {
        var entry = Assert.Single(ApiKeysFile.Parse("sk-admin name=admin rpm=0 tpm=0", "k"));
        Assert.Equal((0L, 0L), (entry.RequestsPerMinute, entry.TokensPerMinute));
    }

    [Theory]
    [InlineData("sk-1 name=a\nsk-2 rpm=ten", "line 2: rpm 'ten' is not a whole number")]
    [InlineData("sk-1 tpm=-5", "line 1: tpm '-5' is not a whole number")]
    [InlineData("sk-1 colour=blue", "line 1: unknown option colour=")]
    [InlineData("sk-1 name=a name=b", "line 1: name= is given twice")]
    [InlineData("sk-1 name=has/slash", "line 1: name 'has/slash' must be")]
    [InlineData("sk-1 models=llama*3", "line 1: model pattern 'llama*3'")]
    [InlineData("sk-1 models=,", "line 1: models= lists no model")]
    [InlineData("name=alice sk-1", "line 1: the line starts with name=; the key must come first")]
    [InlineData("# only comments\n\n", "the file holds no key")]
    [InlineData("sk-1 name=a\n\n# x\nsk-1 name=b", "line 4: the same key as line 1")]
    public void A_bad_file_is_refused_naming_the_file_and_line(string text, string problem)
    {
        var error = Assert.Throws<ApiKeysFileException>(() => ApiKeysFile.Parse(text, "/etc/llm-proxy/keys.txt"));
        Assert.StartsWith("PROXY_API_KEYS_FILE /etc/llm-proxy/keys.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sk-SECRET-1 sk-SECRET-2")] // two keys pasted on one line
    [InlineData("sk-SECRET-1 rpm=1 sk-SECRET-2")]
    [InlineData("sk-SECRET-1 SECRET=x")] // an "option" whose name is not an option name
    [InlineData("sk-SECRET-1\nsk-SECRET-1")] // the same key twice
    [InlineData("sk-SECRET-1 tpm=many")]
    public void No_error_repeats_a_key(string text)
    {
        var error = Assert.Throws<ApiKeysFileException>(() => ApiKeysFile.Parse(text, "keys.txt"));
        Assert.DoesNotContain("SECRET", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_named_with_the_reason()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "keys.txt");
        var error = Assert.Throws<ApiKeysFileException>(() => ApiKeysFile.Read(path));
        Assert.Equal($"PROXY_API_KEYS_FILE {path}: cannot read the file (DirectoryNotFoundException)", error.Message);
    }
}
