using System.Net;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>PROXY_API_KEYS / PROXY_API_KEYS_FILE and their flags on the real binary (docs/api.md, Auth).</summary>
public sealed class ApiKeyTests : IDisposable
{
    private readonly string _keysFile = Path.Combine(Path.GetTempPath(), $"llm-proxy-keys-{Guid.NewGuid():N}.txt");

    public ApiKeyTests() =>
        File.WriteAllText(_keysFile, "# team keys, one per line\nfile-key-1\n\n   file-key-2   \n# retired: old-key\n");

    public void Dispose() => File.Delete(_keysFile);

    public static TheoryData<string, int> Presented => new()
    {
        { "Bearer env-key", 200 },
        { "Bearer file-key-1", 200 },
        { "Bearer file-key-2", 200 },
        { "Bearer old-key", 401 },
        { "Bearer # retired: old-key", 401 },
        { "Bearer wrong", 401 },
        { "env-key", 401 },
        { "Basic ZW52LWtleTo=", 401 },
    };

    [Theory]
    [MemberData(nameof(Presented))]
    public async Task Keys_from_the_variable_and_the_file_both_work_and_nothing_else_does(string authorization, int expected)
    {
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["PROXY_API_KEYS"] = "env-key",
            ["PROXY_API_KEYS_FILE"] = _keysFile,
        });
        using var response = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat, authorization: authorization));
        Assert.Equal(expected, (int)response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(authorization, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_flags_work_too_and_a_missing_header_is_401()
    {
        await using var proxy = await ProxyProcess.StartAsync(args: ["--api-keys", "flag-key", "--api-keys-file", _keysFile]);
        using var flagKey = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat, authorization: "Bearer flag-key"));
        Assert.Equal(HttpStatusCode.OK, flagKey.StatusCode);
        using var fileKey = await proxy.Client.SendAsync(Http.Post("proxy/stream", Http.ValidChat, authorization: "Bearer file-key-2"));
        Assert.Equal(HttpStatusCode.OK, fileKey.StatusCode);
        using var missing = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat, authorization: null));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        var health = await proxy.Client.GetStringAsync("healthz");
        Assert.DoesNotContain("flag-key", health, StringComparison.Ordinal);
        Assert.DoesNotContain("file-key", health, StringComparison.Ordinal);
    }
}
