namespace LlmProxy.Upstreams;

/// <summary>Registration of the upstreams: the one connection pool, the client over it, and every <see cref="IUpstream"/>.</summary>
internal static class UpstreamsSetup
{
    public static IServiceCollection AddUpstreams(this IServiceCollection services)
    {
        services.AddSingleton<UpstreamHttp>();
        services.AddSingleton<UpstreamClient>();
        services.AddSingleton<OpenAiCompatUpstream>();
        services.AddSingleton<IUpstream>(s => s.GetRequiredService<OpenAiCompatUpstream>());
        services.AddSingleton<IUpstream, StubUpstream>();
        return services;
    }
}
