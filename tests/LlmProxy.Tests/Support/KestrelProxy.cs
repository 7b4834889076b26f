using LlmProxy.Configuration;
using LlmProxy.Hosting;
using LlmProxy.Routing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LlmProxy.Tests.Support;

/// <summary>
/// The real application on real Kestrel (loopback, port 0): the streaming tests need real sockets on both sides so
/// that flushes, disconnects and aborts behave as they do in production.
/// </summary>
internal sealed class KestrelProxy : IAsyncDisposable
{
    private KestrelProxy(WebApplication app, Uri baseUrl)
    {
        App = app;
        BaseUrl = baseUrl;
        Client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            // A disposed response closes the socket at once, as a client that hangs up does (the default drains up to 2 s).
            MaxResponseDrainSize = 0,
        })
        { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }
    public Uri BaseUrl { get; }
    public HttpClient Client { get; }

    /// <summary>A proxy whose default provider is the fake upstream (LLM_PROVIDER=ollama).</summary>
    public static Task<KestrelProxy> StartAsync(FakeUpstream upstream, Func<ProxySettings, ProxySettings>? adjust = null)
    {
        var settings = new ProxySettings
        {
            Host = "127.0.0.1",
            Port = 0,
            DefaultProvider = ProviderNames.Ollama,
            OpenAiCompatBaseUrl = upstream.BaseUrl,
            LogLevel = "WARNING",
        };
        return StartAsync(adjust is null ? settings : adjust(settings));
    }

    /// <param name="configureBuilder">Extra services or log providers, as <see cref="ProxyApp.Build"/> takes them.</param>
    public static async Task<KestrelProxy> StartAsync(ProxySettings settings, Action<WebApplicationBuilder>? configureBuilder = null)
    {
        var app = ProxyApp.Build(new ProxySettings(settings) { Host = "127.0.0.1", Port = 0 }, configureBuilder);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new KestrelProxy(app, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
