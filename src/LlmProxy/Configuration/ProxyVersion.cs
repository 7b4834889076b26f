using System.Reflection;

namespace LlmProxy.Configuration;

/// <summary>The product version (Directory.Build.props), shown by /healthz, the API description and the start line.</summary>
internal static class ProxyVersion
{
    public static string Text { get; } =
        typeof(ProxyVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
