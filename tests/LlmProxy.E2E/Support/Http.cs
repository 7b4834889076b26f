using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LlmProxy.E2E.Support;

public static class Http
{
    public const string ValidChat = """{"model":"my-model","messages":[{"role":"user","content":"hello"}]}""";

    public static HttpRequestMessage Post(string path, byte[] body, string? contentType = "application/json", string? authorization = "Bearer test")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        if (contentType is not null)
        {
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        return request;
    }

    public static HttpRequestMessage Post(string path, string body, string? contentType = "application/json", string? authorization = "Bearer test") =>
        Post(path, Encoding.UTF8.GetBytes(body), contentType, authorization);

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    public static string RequestId(HttpResponseMessage response) => response.Headers.GetValues("x-request-id").Single();

    public static List<string> SseData(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Trim('\n'))
            .Where(e => e.StartsWith("data: ", StringComparison.Ordinal))
            .Select(e => e["data: ".Length..])
            .ToList();
}
