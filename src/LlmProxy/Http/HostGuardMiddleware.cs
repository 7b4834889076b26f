using LlmProxy.Configuration;
using LlmProxy.Http.Errors;
using Microsoft.Extensions.Primitives;

namespace LlmProxy.Http;

/// <summary>
/// The DNS-rebinding guard (docs/security.md, Host allow-list): a request whose <c>Host</c> is not in ALLOWED_HOSTS gets
/// 403 in the route's dialect and reaches no route. A web page on <c>evil.example</c> whose DNS name is rebound to
/// 127.0.0.1 sends <c>Host: evil.example</c> to the proxy as a same-origin request (CORS never applies), so the Host is
/// the one thing that tells such a page from a real local client. Ollama refuses foreign Hosts for the same reason;
/// the proxy replaces the Host it forwards, so without this guard it would switch Ollama's off.
/// </summary>
/// <remarks>
/// Only installed when the allowed hosts are not <c>*</c>. Matching is the framework's (<see cref="HostString.MatchesAny"/>):
/// ports are ignored, names compare in any case, <c>*.example.com</c> allows subdomains. A request without a Host
/// (HTTP/1.0) is let through: no browser sends one, so it cannot be a rebinding page.
/// </remarks>
internal sealed class HostGuardMiddleware(RequestDelegate next, ProxySettings settings, ErrorDialects errors)
{
    public const string Code = "host_not_allowed";

    /// <summary>A refused Host is quoted in the error, cut to this many characters.</summary>
    private const int MaxQuotedHost = 100;

    private readonly StringSegment[] _patterns = settings.EffectiveAllowedHosts.Select(h => new StringSegment(h)).ToArray();

    /// <summary>Whether the guard has anything to refuse (ALLOWED_HOSTS is not <c>*</c>).</summary>
    public static bool IsNeeded(ProxySettings settings) => !settings.EffectiveAllowedHosts.Contains("*");

    public Task InvokeAsync(HttpContext context)
    {
        var host = context.Request.Host.Value;
        if (string.IsNullOrEmpty(host) || IsAllowed(host))
        {
            return next(context);
        }
        var quoted = host.Length <= MaxQuotedHost ? host : host[..MaxQuotedHost] + "…";
        return errors.WriteAsync(context, new ProxyError(StatusCodes.Status403Forbidden,
            $"Host '{quoted}' is not allowed: the proxy answers only the host names in ALLOWED_HOSTS (a guard against DNS rebinding); add this name to ALLOWED_HOSTS to serve it",
            Code));
    }

    private bool IsAllowed(string host)
    {
        try
        {
            return HostString.MatchesAny(host, _patterns);
        }
        catch (FormatException)
        {
            // A port that is not a number ("localhost:x"): not a Host any client of ours sends.
            return false;
        }
    }
}
