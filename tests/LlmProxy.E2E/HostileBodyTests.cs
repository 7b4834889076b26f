using System.Net;
using System.Text;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>Hostile bodies never produce a 500 and never take the process down (docs/api.md, Errors).</summary>
public class HostileBodyTests(RunningProxyFixture fixture) : IClassFixture<RunningProxyFixture>
{
    public static TheoryData<string, byte[], string?, int> Bodies => new()
    {
        { "invalid JSON", "{\"model\": \"m\", messages: ["u8.ToArray(), "application/json", 400 },
        { "truncated JSON", "{\"model\":\"m\",\"messages\":[{\"role\""u8.ToArray(), "application/json", 400 },
        { "empty body", [], "application/json", 400 },
        { "wrong types", "{\"model\":42,\"messages\":{\"role\":\"user\"}}"u8.ToArray(), "application/json", 422 },
        { "null fields", "{\"model\":null,\"messages\":[null]}"u8.ToArray(), "application/json", 422 },
        { "top-level array", "[{\"model\":\"m\",\"messages\":[]}]"u8.ToArray(), "application/json", 422 },
        { "top-level number", "12345"u8.ToArray(), "application/json", 422 },
        { "invalid UTF-8", [.. "{\"model\":\"m\xff\",\"messages\":[{\"role\":\"user\",\"content\":\""u8, 0xC0, 0xAF, .. "\"}]}"u8], "application/json", 400 },
        { "nested 100,000 deep", Encoding.ASCII.GetBytes(new string('[', 100_000) + new string(']', 100_000)), "application/json", 400 },
        { "nested objects 100,000 deep", Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 100_000)) + "1" + new string('}', 100_000)), "application/json", 400 },
        { "wrong content type", Encoding.UTF8.GetBytes(Http.ValidChat), "text/plain", 415 },
        { "form content type", "model=m"u8.ToArray(), "application/x-www-form-urlencoded", 415 },
        { "missing content type", Encoding.UTF8.GetBytes(Http.ValidChat), null, 415 },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Each_hostile_body_gets_a_clear_4xx_and_the_process_keeps_serving(string name, byte[] body, string? contentType, int expected)
    {
        // One process for the whole list: it must survive every hostile body in a row.
        var proxy = fixture.Proxy;
        Assert.False(proxy.HasExited, "the proxy died during an earlier hostile body");
        foreach (var path in new[] { "proxy", "proxy/stream" })
        {
            using var response = await proxy.Client.SendAsync(Http.Post(path, body, contentType));
            Assert.True(expected == (int)response.StatusCode, $"{name} on /{path}: expected {expected}, got {(int)response.StatusCode}");
            var json = await Http.JsonAsync(response);
            Assert.Equal(Http.RequestId(response), json.GetProperty("request_id").GetString());
            Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("error").GetString()));
            Assert.True(json.TryGetProperty("detail", out _), $"{name}: no detail");
        }
        using var health = await proxy.Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.False(proxy.HasExited);
    }
}
