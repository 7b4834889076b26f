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
        _ => throw new InvalidOperationException($"{name}: no test value for {type}; add one here"),
    };
}
