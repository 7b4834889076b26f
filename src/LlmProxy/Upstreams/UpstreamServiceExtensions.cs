using LlmProxy.Doors.OpenAi;

namespace LlmProxy.Upstreams;

public static class UpstreamServiceExtensions
{
    /// <summary>The <c>ollama</c> provider, its one connection pool, and the /v1 handlers.</summary>
    public static IServiceCollection AddOpenAiCompatUpstream(this IServiceCollection services)
    {
        services.AddSingleton<UpstreamHttp>();
        services.AddSingleton<UpstreamClient>();
        services.AddSingleton<IChatProvider, OpenAiCompatProvider>();
        services.AddSingleton<OpenAiHandler>();
        services.AddSingleton<OpenAiModelsHandler>();
        return services;
    }
}
