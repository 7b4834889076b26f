using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E;

/// <summary>
/// <c>llm-proxy --provider auto</c> with no UPSTREAMS (docs/upstreams.md, Discovery): the binary looks for model servers
/// on their usual local ports — the real ports, no test hook — so these tests put fake servers there. They use the
/// ports free on this machine (and say which ones were not).
/// </summary>
[Collection(DiscoveryPorts.Name)]
public class DiscoveryTests
{
    /// <summary>The ports and names of docs/upstreams.md, Discovery.</summary>
    private static readonly (string Name, int Port)[] Targets = [("ollama", 11434), ("lmstudio", 1234), ("llamacpp", 8080), ("vllm", 8000)];

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<List<JsonElement>> UpstreamsAsync(ProxyProcess proxy) =>
        [.. (await Http.JsonAsync(await proxy.Client.GetAsync("healthz"))).GetProperty("upstreams").EnumerateArray()];

    private static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"{what}: not within {timeout.TotalSeconds} s");
            }
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Servers_on_the_usual_ports_join_under_their_usual_names_and_serve_their_models()
    {
        var free = Targets.Where(t => IsFree(t.Port)).ToList();
        Assert.True(free.Count > 0, "none of the discovery ports 11434, 1234, 8080, 8000 is free on this machine");
        var servers = new List<FakeModelServer>();
        try
        {
            foreach (var (name, port) in free)
            {
                servers.Add(await FakeModelServer.StartAsync(name, [$"model-of-{name}"], port));
            }
            await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string> { ["LLM_PROVIDER"] = "auto" });

            await UntilAsync(async () => (await UpstreamsAsync(proxy)).Count == free.Count, TimeSpan.FromSeconds(10), "servers discovered");
            var upstreams = await UpstreamsAsync(proxy);
            foreach (var (name, port) in free)
            {
                var entry = upstreams.Single(u => u.GetProperty("name").GetString() == name);
                Assert.Equal($"http://127.0.0.1:{port}/v1", entry.GetProperty("url").GetString());
                Assert.Equal("up", entry.GetProperty("state").GetString());
                Assert.Equal(1, entry.GetProperty("models").GetInt32());

                using var response = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", $$"""{"model":"model-of-{{name}}"}"""));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(name, response.Headers.GetValues("x-llm-upstream").Single());
            }
            Assert.Contains(proxy.StdoutLines, l => l.Contains("found", StringComparison.Ordinal) && l.Contains($"upstream {free[0].Name}", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_server_started_after_the_proxy_joins_on_the_next_look_and_one_that_stops_goes_down()
    {
        var (name, port) = Targets.FirstOrDefault(t => IsFree(t.Port));
        Assert.True(name is not null, "none of the discovery ports 11434, 1234, 8080, 8000 is free on this machine");
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "auto",
            ["MODEL_REFRESH_SECONDS"] = "1",
        });
        Assert.Empty(await UpstreamsAsync(proxy));
        using (var none = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", """{"model":"late-model"}""")))
        {
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        }

        await using var server = await FakeModelServer.StartAsync(name, ["late-model"], port);
        await UntilAsync(async () => (await UpstreamsAsync(proxy)).Any(u => u.GetProperty("state").GetString() == "up"), TimeSpan.FromSeconds(10), $"{name} joined");
        using (var served = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", """{"model":"late-model"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        await server.Upstream.KillAsync();
        await UntilAsync(async () => (await UpstreamsAsync(proxy)).Single().GetProperty("state").GetString() == "down", TimeSpan.FromSeconds(10), $"{name} down");
        Assert.Equal("degraded", (await Http.JsonAsync(await proxy.Client.GetAsync("healthz"))).GetProperty("status").GetString());
    }
}

/// <summary>The discovery tests share the machine's discovery ports: they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class DiscoveryPorts
{
    public const string Name = "discovery ports";
}
