namespace LlmProxy.E2E.Support;

/// <summary>One stub-provider proxy process shared by a test class, stopped when the class is done.</summary>
public sealed class RunningProxyFixture : IAsyncLifetime
{
    private ProxyProcess? _proxy;

    public ProxyProcess Proxy => _proxy ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _proxy = await ProxyProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }
    }
}
