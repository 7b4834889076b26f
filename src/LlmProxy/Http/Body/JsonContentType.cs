using Microsoft.Net.Http.Headers;

namespace LlmProxy.Http.Body;

/// <summary>Accepts <c>application/json</c> and <c>application/*+json</c> (RFC 6839 §3.1), with any parameters.</summary>
public static class JsonContentType
{
    public static bool IsJson(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return false;
        }
        var mediaType = parsed.MediaType;
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }
}
