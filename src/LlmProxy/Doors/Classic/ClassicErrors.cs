using System.Text.Json;
using LlmProxy.Http.Errors;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.Classic;

/// <summary>
/// The classic error shape (docs/api.md, Errors): <c>{"error":"&lt;title&gt;","detail":"...","request_id":"..."}</c>,
/// the title named by the status. It is also the fallback dialect of every path no door claims (404s, /healthz...).
/// Never a stack trace or a secret.
/// </summary>
internal sealed class ClassicErrors : IErrorDialect
{
    public static readonly ClassicErrors Dialect = new();

    /// <summary>The title of an upstream's "model not found", whatever status the upstream used.</summary>
    public const string ModelNotFoundTitle = "Model Not Found";

    public Type BodyType => typeof(ClassicError);

    /// <summary>The titles by status.</summary>
    public static string TitleFor(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        421 => "Misdirected Request",
        422 => "Validation Error",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => status >= 500 ? "Internal Server Error" : "Bad Request",
    };

    public Task WriteAsync(HttpContext context, ProxyError error)
    {
        var title = error.Code == UpstreamFailure.ModelNotFoundCode ? ModelNotFoundTitle : TitleFor(error.Status);
        error.Prepare(context.Response);
        return JsonSerializer.SerializeAsync(context.Response.Body, new ClassicError(title, error.Detail, context.TraceIdentifier),
            ClassicJsonContext.Default.ClassicError, context.RequestAborted);
    }

    /// <summary>422 listing every problem found, as FastAPI's validation errors do.</summary>
    public static Task WriteValidationAsync(HttpContext context, IReadOnlyList<ValidationProblem> problems)
    {
        new ProxyError(422, null).Prepare(context.Response);
        return JsonSerializer.SerializeAsync(context.Response.Body, new ClassicValidationError(TitleFor(422), problems, context.TraceIdentifier),
            ClassicJsonContext.Default.ClassicValidationError, context.RequestAborted);
    }
}
