namespace LlmProxy.Http.Errors;

/// <summary>
/// An error answer before a dialect shapes it (docs/api.md, Errors): the status, the human-readable detail, and the
/// OpenAI-style <c>code</c> and <c>param</c> where there is one (the classic error shape has no place for them).
/// </summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Detail">What went wrong, for a person; null for the status's title alone.</param>
/// <param name="Code">A stable machine-readable code such as <c>rate_limit_exceeded</c> or <c>model_not_found</c>.</param>
/// <param name="Param">The request field at fault, such as <c>model</c>.</param>
/// <param name="RetryAfter">A <c>Retry-After</c> value to send with it (RFC 9110 §10.2.3), as the upstream gave it.</param>
internal readonly record struct ProxyError(int Status, string? Detail, string? Code = null, string? Param = null, string? RetryAfter = null)
{
    /// <summary>Status, JSON content type and <c>Retry-After</c>: what every dialect sets before its body.</summary>
    public void Prepare(HttpResponse response)
    {
        response.StatusCode = Status;
        response.ContentType = "application/json";
        if (RetryAfter is not null)
        {
            response.Headers.RetryAfter = RetryAfter;
        }
    }
}
