using LlmProxy.Configuration;

namespace LlmProxy.Tests.Configuration;

public class RedisUrlTests
{
    [Fact]
    public void A_bare_host_gets_the_default_port_database_zero_and_no_credentials()
    {
        var url = RedisUrl.Parse("redis://cache.internal");
        Assert.Equal("cache.internal", url.Host);
        Assert.Equal(6379, url.Port);
        Assert.Equal(0, url.Database);
        Assert.False(url.Tls);
        Assert.Null(url.User);
        Assert.Null(url.Password);
    }

    [Fact]
    public void User_password_port_and_database_are_all_read()
    {
        var url = RedisUrl.Parse("redis://proxy:s3cret@10.0.0.5:6380/2");
        Assert.Equal(("10.0.0.5", 6380, 2, "proxy", "s3cret"), (url.Host, url.Port, url.Database, url.User, url.Password));
    }

    [Fact]
    public void A_password_without_a_user_is_for_the_default_user()
    {
        var url = RedisUrl.Parse("redis://:s3cret@localhost");
        Assert.Null(url.User);
        Assert.Equal("s3cret", url.Password);
    }

    [Fact]
    public void Rediss_means_tls()
    {
        var url = RedisUrl.Parse("rediss://:pw@redis.example.com:6380");
        Assert.True(url.Tls);
        Assert.Equal(6380, url.Port);
        Assert.Equal("rediss://:***@redis.example.com:6380/0", url.ToString());
    }

    [Fact]
    public void Percent_encoded_and_raw_special_characters_in_the_password_both_work()
    {
        Assert.Equal("p@ss:w/rd", RedisUrl.Parse("redis://u:p%40ss%3Aw%2Frd@h:1/0").Password);
        // Pasted unencoded: userinfo ends at the last '@', so '@', ':' and '/' survive.
        Assert.Equal("p@ss:w/rd", RedisUrl.Parse("redis://u:p@ss:w/rd@h:1/0").Password);
    }

    [Fact]
    public void A_bracketed_ipv6_host_is_read_without_brackets()
    {
        var url = RedisUrl.Parse("redis://[::1]:7000/1");
        Assert.Equal(("::1", 7000, 1), (url.Host, url.Port, url.Database));
        Assert.Equal("redis://[::1]:7000/1", url.ToString());
    }

    [Fact]
    public void A_compose_service_name_with_an_underscore_or_dash_is_a_host()
    {
        Assert.Equal("redis_cache", RedisUrl.Parse("redis://redis_cache:6379").Host);
        Assert.Equal("llm-redis", RedisUrl.Parse("redis://llm-redis").Host);
    }

    [Theory]
    [InlineData("http://localhost:6379", "expected redis://")]
    [InlineData("localhost:6379", "expected redis://")]
    [InlineData("", "expected redis://")]
    [InlineData("redis://", "host is missing")]
    [InlineData("redis://:6379", "host is missing")]
    [InlineData("redis://localhost:abc", "port 'abc'")]
    [InlineData("redis://localhost:0", "port '0'")]
    [InlineData("redis://localhost:70000", "port '70000'")]
    [InlineData("redis://localhost/x", "database 'x'")]
    [InlineData("redis://localhost/-1", "database '-1'")]
    [InlineData("redis://localhost?ssl=true", "no ?query")]
    [InlineData("redis://::1:6379", "IPv6 host must be written in brackets")]
    [InlineData("redis://[nothost]:6379", "bracketed IPv6")]
    [InlineData("redis://bad host", "not a host name")]
    public void A_bad_value_is_refused_with_the_reason(string text, string reason)
    {
        Assert.False(RedisUrl.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        var thrown = Assert.Throws<FormatException>(() => RedisUrl.Parse(text));
        Assert.StartsWith("invalid REDIS_URL: ", thrown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("redis://:Hunter2Secret@localhost:notaport")]
    [InlineData("redis://admin:Hunter2Secret@/0")]
    [InlineData("redis://admin:Hunter2Secret@localhost/notadb")]
    [InlineData("redis://Hunter2Secret@localhost")]
    [InlineData("redis://admin:Hunter2Secret@localhost?x=1")]
    public void No_error_ever_repeats_the_password(string text)
    {
        Assert.False(RedisUrl.TryParse(text, out _, out var error));
        Assert.DoesNotContain("Hunter2Secret", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_display_form_hides_the_password_but_keeps_the_user()
    {
        var url = RedisUrl.Parse("redis://proxy:Hunter2Secret@localhost:6379/3");
        Assert.Equal("redis://proxy:***@localhost:6379/3", url.ToString());
        Assert.DoesNotContain("Hunter2Secret", url.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("open", "Open")]
    [InlineData(" Closed ", "Closed")]
    public void The_failure_mode_is_open_or_closed(string text, string mode)
    {
        Assert.True(StoreFailureModes.TryParse(text, out var parsed, out _));
        Assert.Equal(mode, parsed.ToString());
    }

    [Fact]
    public void Any_other_failure_mode_names_the_accepted_values()
    {
        Assert.False(StoreFailureModes.TryParse("fail-open", out _, out var error));
        Assert.Equal("expected open or closed", error);
    }
}
