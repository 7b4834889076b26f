using LlmProxy.Http.Auth;

namespace LlmProxy.Tests.Http.Auth;

public class ApiKeyTableTests
{
    [Fact]
    public void A_presented_key_finds_its_own_entry_and_nothing_else_matches()
    {
        var table = ApiKeyTable.Create([], ApiKeysFile.Parse("sk-alice name=alice\nsk-bob name=bob", "k"));
        Assert.Equal("alice", table.Find("sk-alice")?.Name);
        Assert.Equal("bob", table.Find("sk-bob")?.Name);
        Assert.Null(table.Find("sk-alic"));
        Assert.Null(table.Find("sk-alice "));
        Assert.Null(table.Find(""));
        Assert.Null(table.Find(new string('x', 5000))); // longer than the stack buffer: pooled path
    }

    [Fact]
    public void Keys_from_the_environment_and_the_file_are_combined_and_the_file_wins_for_a_key_in_both()
    {
        var table = ApiKeyTable.Create(["sk-env", "sk-alice"], ApiKeysFile.Parse("sk-alice name=alice rpm=5", "k"));
        Assert.Equal(2, table.Count);
        Assert.Equal(5, table.Find("sk-alice")?.RequestsPerMinute);
        Assert.False(table.Find("sk-env")?.IsNamed);
    }

    [Fact]
    public void Keys_sharing_a_name_share_one_limit_partition()
    {
        // Rotation: the old and the new key of one user count against one budget.
        var table = ApiKeyTable.Create([], ApiKeysFile.Parse("sk-old name=alice\nsk-new name=alice", "k"));
        Assert.Equal(table.Find("sk-old")!.ClientId, table.Find("sk-new")!.ClientId);
    }

    [Fact]
    public void The_table_holds_no_key_only_digests_and_names()
    {
        var entry = Assert.Single(ApiKeyTable.Create(["sk-very-secret-key"], []).Entries);
        Assert.Equal(32, entry.Digest.Length);
        Assert.DoesNotContain("secret", entry.Name, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", entry.ClientId, StringComparison.Ordinal);
    }
}
