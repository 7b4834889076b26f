using System.Net.Sockets;
using LlmProxy.Configuration;
using LlmProxy.Hosting;
using Microsoft.AspNetCore.Connections;

namespace LlmProxy.Tests.Hosting;

public class ProxyHostTests
{
    [Fact]
    public void A_port_in_use_is_described_in_a_few_words_however_deep_kestrel_wraps_it()
    {
        var inUse = new IOException("Failed to bind to address http://127.0.0.1:8000: address already in use.",
            new AddressInUseException("Address already in use", new SocketException((int)SocketError.AddressAlreadyInUse)));
        Assert.Equal("address already in use", ProxyHost.ListenFailure(inUse));
        Assert.Equal("address already in use", ProxyHost.ListenFailure(new IOException("x", new SocketException((int)SocketError.AddressAlreadyInUse))));
    }

    [Fact]
    public void An_address_not_on_this_machine_and_a_privileged_port_are_named_too()
    {
        Assert.Equal("the address is not available on this machine",
            ProxyHost.ListenFailure(new IOException("Failed to bind", new SocketException((int)SocketError.AddressNotAvailable))));
        Assert.Equal("permission denied", ProxyHost.ListenFailure(new IOException("Failed to bind", new SocketException((int)SocketError.AccessDenied))));
    }

    [Fact]
    public void A_failure_that_is_not_about_binding_is_not_described_as_one() =>
        Assert.Null(ProxyHost.ListenFailure(new InvalidOperationException("something else")));

    [Theory]
    [InlineData("Auto", true, true)]
    [InlineData("Auto", false, false)]
    [InlineData("Json", false, true)]
    [InlineData("Text", true, false)]
    public void Log_format_auto_means_json_when_stdout_is_not_a_terminal(string format, bool stdoutRedirected, bool json) =>
        Assert.Equal(json, ProxyLogging.UsesJson(Enum.Parse<LogFormat>(format), stdoutRedirected));
}
