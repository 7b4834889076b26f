using System.Net;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>CORS on the real binary (docs/api.md, CORS).</summary>
public class CorsTests
{
    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static HttpRequestMessage Preflight(string path, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.TryAddWithoutValidation("Origin", origin);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "POST");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "authorization, content-type");
        return request;
    }

    [Fact]
    public async Task By_default_only_loopback_origins_are_answered_and_a_star_opens_every_origin()
    {
        // The default: a page on this machine may read the answers, a page of another site may not (docs/api.md, CORS).
        await using (var proxy = await ProxyProcess.StartAsync())
        {
            using var local = await proxy.Client.SendAsync(Preflight("proxy", "http://localhost:5173"));
            Assert.Equal(HttpStatusCode.NoContent, local.StatusCode);
            Assert.Equal("http://localhost:5173", Header(local, "Access-Control-Allow-Origin"));
            using var foreign = await proxy.Client.SendAsync(Preflight("proxy", "https://anywhere.example"));
            Assert.Null(Header(foreign, "Access-Control-Allow-Origin"));
        }

        // CORS_ALLOW_ORIGINS=* opens it on purpose: answers, errors and preflights carry the star.
        await using var open = await ProxyProcess.StartAsync(new Dictionary<string, string> { ["CORS_ALLOW_ORIGINS"] = "*" });
        using var preflight = await open.Client.SendAsync(Preflight("proxy", "https://anywhere.example"));
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal("*", Header(preflight, "Access-Control-Allow-Origin"));

        using var unauthorized = Http.Post("proxy", Http.ValidChat, authorization: null);
        unauthorized.Headers.TryAddWithoutValidation("Origin", "https://anywhere.example");
        using var response = await open.Client.SendAsync(unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("x-request-id", Header(response, "Access-Control-Expose-Headers")!, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_list_echoes_listed_origins_with_vary_and_ignores_others_also_on_429()
    {
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["CORS_ALLOW_ORIGINS"] = "https://app.example, http://localhost:3000",
            ["RATE_LIMIT_ENABLED"] = "true",
            ["RATE_LIMIT_MAX_REQUESTS"] = "1",
        });
        using var preflight = await proxy.Client.SendAsync(Preflight("proxy", "http://localhost:3000"));
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal("http://localhost:3000", Header(preflight, "Access-Control-Allow-Origin"));

        using var foreign = await proxy.Client.SendAsync(Preflight("proxy", "https://evil.example"));
        Assert.Null(Header(foreign, "Access-Control-Allow-Origin"));

        HttpRequestMessage Chat()
        {
            var request = Http.Post("proxy", Http.ValidChat);
            request.Headers.TryAddWithoutValidation("Origin", "https://app.example");
            return request;
        }
        using var allowed = await proxy.Client.SendAsync(Chat());
        using var limited = await proxy.Client.SendAsync(Chat());
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        foreach (var response in new[] { allowed, limited })
        {
            Assert.Equal("https://app.example", Header(response, "Access-Control-Allow-Origin"));
            Assert.Contains("Origin", Header(response, "Vary")!, StringComparison.Ordinal);
            var exposed = Header(response, "Access-Control-Expose-Headers")!;
            foreach (var name in new[] { "x-request-id", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset" })
            {
                Assert.Contains(name, exposed, StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
