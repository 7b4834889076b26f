using System.Reflection;
using LlmProxy.Configuration;

namespace LlmProxy.Tests.Configuration;

public class ProxySettingsTests
{
    [Fact]
    public void ToString_shows_the_settings_but_never_a_key_or_the_password_of_the_base_url()
    {
        var settings = new ProxySettings
        {
            OpenAiCompatApiKey = "sk-upstream-5ecret",
            ApiKeys = ["sk-proxy-5ecret-a", "sk-proxy-5ecret-b"],
            OpenAiCompatBaseUrl = new Uri("http://user:pa55word@models.internal:11434/v1/"),
            RateLimitMaxRequests = 77,
            AllowedHosts = ["proxy.lan"],
            MaxInflightBodyBytes = 12345,
            Upstreams = [new UpstreamDefinition("gpu", new Uri("http://me:pa55word@gpu-box:8000/v1"), new UpstreamOptions { ApiKey = "sk-gpu-5ecret", Priority = 3 })],
            UpstreamOptionsByName = new Dictionary<string, UpstreamOptions> { ["ollama"] = new() { ApiKey = "sk-ollama-5ecret" } },
            RedisUrl = RedisUrl.Parse("redis://proxy:redis-5ecret@cache:6380/1"),
        };

        var text = settings.ToString();

        Assert.DoesNotContain("5ecret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pa55word", text, StringComparison.Ordinal);
        Assert.Contains("OpenAiCompatApiKey = (set)", text, StringComparison.Ordinal);
        Assert.Contains("ApiKeys = (2 set)", text, StringComparison.Ordinal);
        Assert.Contains("models.internal:11434", text, StringComparison.Ordinal);
        Assert.Contains("RateLimitMaxRequests = 77", text, StringComparison.Ordinal);
        Assert.Contains("AllowedHosts = proxy.lan", text, StringComparison.Ordinal);
        Assert.Contains("MaxInflightBodyBytes = 12345", text, StringComparison.Ordinal);
        // Every property a setting is kept in shows up by name, except the secrets' values.
        foreach (var property in typeof(ProxySettings).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            Assert.Contains(property.Name + " = ", text, StringComparison.Ordinal);
        }
        Assert.Contains("gpu=http://gpu-box:8000/v1", text, StringComparison.Ordinal);
        Assert.Contains("Priority = 3", text, StringComparison.Ordinal);
        Assert.Contains("RedisUrl = redis://proxy:***@cache:6380/1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_copy_constructor_copies_every_setting()
    {
        var original = new ProxySettings();
        var properties = typeof(ProxySettings).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        Assert.NotEmpty(properties);
        foreach (var property in properties)
        {
            property.SetValue(original, ValueUnlikeTheDefault(property.PropertyType, property.Name));
        }

        var copy = new ProxySettings(original);

        foreach (var property in properties)
        {
            Assert.Equal(property.GetValue(original), property.GetValue(copy));
            Assert.NotEqual(property.GetValue(new ProxySettings()), property.GetValue(copy));
        }
    }

    private static object ValueUnlikeTheDefault(Type type, string name) => type switch
    {
        _ when type == typeof(string) => "x-" + name,
        _ when type == typeof(int) => 4242,
        _ when type == typeof(long) => 4243L,
        _ when type == typeof(bool) => true,
        _ when type == typeof(TimeSpan) => TimeSpan.FromSeconds(4244),
        _ when type == typeof(Uri) => new Uri("http://copy.test/v1/"),
        _ when type == typeof(IReadOnlyList<string>) => new[] { "x-" + name },
        _ when type == typeof(LogFormat) => LogFormat.Text,
        _ when type == typeof(IReadOnlyList<UpstreamDefinition>) => new[] { new UpstreamDefinition("x", new Uri("http://copy.test/v1/")) },
        _ when type == typeof(IReadOnlyDictionary<string, UpstreamOptions>) => new Dictionary<string, UpstreamOptions> { ["x"] = new() { Priority = 1 } },
        _ when type == typeof(RedisUrl) => RedisUrl.Parse("redis://copy.test:6380/2"),
        _ when type == typeof(StoreFailureMode) => StoreFailureMode.Closed,
        _ when type == typeof(TracingSettings) => new TracingSettings(new Uri("http://collector.test:4318"), TracingSettings.DefaultProtocol, new Dictionary<string, string>()),
        _ => throw new InvalidOperationException($"{name}: no test value for {type}; add one here"),
    };
}
