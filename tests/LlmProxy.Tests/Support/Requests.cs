using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LlmProxy.Tests.Support;

/// <summary>Request builders and response readers shared by the in-process tests.</summary>
public static class Requests
{
    public const string ValidChat = """{"model":"my-model","messages":[{"role":"user","content":"hello"}]}""";

    public static HttpRequestMessage Post(string path, string? body, string? contentType = "application/json", string? authorization = "Bearer test")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        return request;
    }

    public static HttpRequestMessage PostBytes(string path, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer test");
        return request;
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static string RequestId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-request-id", out var values) ? values.Single() : throw new Xunit.Sdk.XunitException("no x-request-id header");

    /// <summary>The data payloads of an SSE body, in order.</summary>
    public static List<string> SseData(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Trim('\n'))
            .Where(e => e.StartsWith("data: ", StringComparison.Ordinal))
            .Select(e => e["data: ".Length..])
            .ToList();
}
