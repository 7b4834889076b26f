using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Http.Errors;

namespace LlmProxy.Http;

/// <summary>
/// Protected mode (docs/security.md, Protected mode): the proxy listens beyond loopback (HOST=0.0.0.0, a LAN address)
/// but has no API keys and ALLOW_UNAUTHENTICATED is not set — most likely an accident, and an open relay to the models
/// behind it. Requests from other machines then get 403 naming the two ways out; requests from this machine are
/// served. <c>/healthz</c> and <c>/metrics</c> stay open to everyone (probes and scrapers come from other machines and
/// read no model). Installed only in protected mode.
/// </summary>
/// <remarks>Redis's protected mode is the model: refuse, say why and how to opt in, never guess.</remarks>
internal sealed class ProtectedModeMiddleware(RequestDelegate next, ErrorDialects errors)
{
    public const string Code = "protected_mode";

    public const string Detail =
        "This proxy listens beyond this machine without API keys (protected mode), so it serves only requests from this machine. " +
        "To serve other machines, set PROXY_API_KEYS (or PROXY_API_KEYS_FILE) and send Authorization: Bearer <key>, " +
        "or set ALLOW_UNAUTHENTICATED=true to serve them without keys";

    public static bool IsNeeded(ProxySettings settings) => settings.ProtectedMode;

    public Task InvokeAsync(HttpContext context)
    {
        if (IsLoopback(context.Connection.RemoteIpAddress) || IsAlwaysOpen(context.Request.Path))
        {
            return next(context);
        }
        return errors.WriteAsync(context, new ProxyError(StatusCodes.Status403Forbidden, Detail, Code));
    }

    /// <summary>127.0.0.0/8 and ::1, also as an IPv4-mapped IPv6 address (a dual-stack socket). No address: not loopback.</summary>
    public static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private static bool IsAlwaysOpen(PathString path) =>
        path.Equals("/healthz", StringComparison.OrdinalIgnoreCase) || path.Equals("/metrics", StringComparison.OrdinalIgnoreCase);
}
