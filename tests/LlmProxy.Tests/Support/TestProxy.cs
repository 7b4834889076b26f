using LlmProxy.Configuration;
using LlmProxy.Hosting;
using Microsoft.AspNetCore.TestHost;

namespace LlmProxy.Tests.Support;

/// <summary>The real application pipeline on the in-memory test server.</summary>
internal sealed class TestProxy : IAsyncDisposable
{
    private TestProxy(WebApplication app)
    {
        App = app;
        Client = app.GetTestClient();
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }

    public static async Task<TestProxy> StartAsync(
        ProxySettings? settings = null,
        Action<WebApplicationBuilder>? configureBuilder = null,
        Action<WebApplication>? configureEndpoints = null)
    {
        var app = ProxyApp.Build(settings ?? new ProxySettings(), builder =>
        {
            builder.WebHost.UseTestServer();
            configureBuilder?.Invoke(builder);
        }, configureEndpoints);
        await app.StartAsync();
        return new TestProxy(app);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
