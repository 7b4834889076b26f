using System.Net;
using LlmProxy.Http;
using LlmProxy.Operations;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Http;

public class DrainGateTests
{
    private static async Task<TestProxy> StartDrainingAsync()
    {
        var proxy = await TestProxy.StartAsync();
        proxy.App.Services.GetRequiredService<HealthState>().MarkDraining();
        proxy.App.Services.GetRequiredService<ShutdownDrain>().BeginDrain();
        return proxy;
    }

    [Fact]
    public async Task While_draining_a_classic_route_answers_503_in_the_classic_error_shape_and_closes_the_connection()
    {
        await using var proxy = await StartDrainingAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(response.Headers.ConnectionClose);
        var body = await Requests.JsonAsync(response);
        Assert.Equal("Service Unavailable", body.GetProperty("error").GetString());
        Assert.Equal(DrainGateMiddleware.Detail, body.GetProperty("detail").GetString());
        Assert.Equal(response.Headers.GetValues("x-request-id").Single(), body.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task While_draining_a_v1_route_answers_503_in_the_openai_envelope()
    {
        await using var proxy = await StartDrainingAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions", Requests.ValidChat));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var error = (await Requests.JsonAsync(response)).GetProperty("error");
        Assert.Equal(DrainGateMiddleware.Detail, error.GetProperty("message").GetString());
        Assert.Equal("server_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task While_draining_healthz_still_answers_503_draining()
    {
        await using var proxy = await StartDrainingAsync();
        using var response = await proxy.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("draining", (await Requests.JsonAsync(response)).GetProperty("status").GetString());
        Assert.False(response.Headers.ConnectionClose ?? false);
    }

    [Fact]
    public async Task Before_draining_work_is_served_and_not_left_counted()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, proxy.App.Services.GetRequiredService<ShutdownDrain>().InFlight);
    }
}
