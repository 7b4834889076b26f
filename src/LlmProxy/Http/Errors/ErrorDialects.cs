using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LlmProxy.Http.Errors;

/// <summary>One error body shape (docs/api.md, Errors): how a front door's clients expect to be told what went wrong.</summary>
internal interface IErrorDialect
{
    /// <summary>The body type, for the API description of every route that speaks this dialect.</summary>
    Type BodyType { get; }

    /// <summary>Writes the whole error answer: status, headers and body. The response must not have started.</summary>
    Task WriteAsync(HttpContext context, ProxyError error);
}

/// <summary>A door's claim on a path prefix (whole segments, any case): errors under it speak its dialect.</summary>
internal sealed record ErrorDialectRoute(string PathPrefix, IErrorDialect Dialect);

/// <summary>
/// Which dialect an error answer speaks, by the request path: each door registers its prefix
/// (<see cref="ErrorDialectServiceExtensions.AddErrorDialect"/>), the longest matching prefix wins, and <c>/</c> is the
/// fallback for everything else. The edges (401, 404, 405, 413, 415, 429, 500, the 503 of a drain) answer through it,
/// so every route is answered in its own door's shape. Paths match case-insensitively, as routing does: a client
/// that writes <c>/V1/chat/completions</c> reaches the OpenAI route and gets OpenAI errors.
/// </summary>
internal sealed class ErrorDialects
{
    private readonly (PathString Prefix, IErrorDialect Dialect)[] _routes;
    private readonly IErrorDialect _fallback;

    public ErrorDialects(IEnumerable<ErrorDialectRoute> routes)
    {
        var all = routes.ToList();
        _fallback = all.LastOrDefault(r => r.PathPrefix == "/")?.Dialect
            ?? throw new InvalidOperationException("no error dialect is registered for '/' (the fallback)");
        _routes = all.Where(r => r.PathPrefix != "/")
            .OrderByDescending(r => r.PathPrefix.Length)
            .Select(r => (new PathString(r.PathPrefix), r.Dialect))
            .ToArray();
    }

    public IErrorDialect For(PathString path)
    {
        foreach (var (prefix, dialect) in _routes)
        {
            if (path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return dialect;
            }
        }
        return _fallback;
    }

    public Task WriteAsync(HttpContext context, ProxyError error) => For(context.Request.Path).WriteAsync(context, error);
}

internal static class ErrorDialectServiceExtensions
{
    /// <summary>Errors under <paramref name="pathPrefix"/> (or everywhere else, for <c>/</c>) speak <paramref name="dialect"/>.</summary>
    public static IServiceCollection AddErrorDialect(this IServiceCollection services, string pathPrefix, IErrorDialect dialect)
    {
        services.AddSingleton(new ErrorDialectRoute(pathPrefix, dialect));
        services.TryAddSingleton<ErrorDialects>();
        services.TryAddSingleton<ErrorHandler>();
        return services;
    }
}
