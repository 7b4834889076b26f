using Microsoft.AspNetCore.Hosting;

namespace LlmProxy.Hosting;

/// <summary>
/// Takes out ASP.NET Core's own Host filter. <c>WebApplication.CreateSlimBuilder</c> installs it (through an
/// <see cref="IStartupFilter"/>) and configures it from the configuration key <c>AllowedHosts</c>, which the builder
/// fills from an environment variable of that name: set, it became a second, undocumented Host check in front of the
/// proxy's own, answering 400 <c>text/html</c> with no request id and none of the proxy's error shapes. The proxy has
/// one Host allow-list, <c>ALLOWED_HOSTS</c> (Http/HostGuardMiddleware.cs, docs/security.md). The framework's type is
/// internal, so it is matched by name; the E2E test <c>An_AllowedHosts_environment_variable_changes_nothing</c> fails
/// if a framework update renames it and the filter comes back.
/// </summary>
internal static class FrameworkHostFilter
{
    private const string StartupFilterName = "Microsoft.AspNetCore.HostFilteringStartupFilter";

    public static void Remove(IServiceCollection services)
    {
        for (var i = services.Count - 1; i >= 0; i--)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType == typeof(IStartupFilter) && descriptor.ImplementationType?.FullName == StartupFilterName)
            {
                services.RemoveAt(i);
            }
        }
    }
}
