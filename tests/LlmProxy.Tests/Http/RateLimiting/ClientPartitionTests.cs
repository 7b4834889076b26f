using System.Net;
using LlmProxy.Http.RateLimiting;

namespace LlmProxy.Tests.Http.RateLimiting;

public class ClientPartitionTests
{
    [Theory]
    [InlineData("2001:db8:1:2::1", "ip:2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff:ffff:ffff:ffff", "ip:2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:a1b2:c3d4:e5f6:789", "ip:2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "ip:2001:db8:1:3::/64")]
    [InlineData("::1", "ip:::/64")]
    [InlineData("fe80::1%7", "ip:fe80::/64")]
    public void Ipv6_clients_are_grouped_by_their_64_bit_prefix(string address, string expected)
    {
        // "::1" lies in the all-zero /64, which IPAddress writes "::".
        Assert.Equal(expected, ClientPartition.ForAddress(IPAddress.Parse(address)));
    }

    [Fact]
    public void Two_addresses_of_one_64_share_a_partition_and_the_neighbouring_64_does_not()
    {
        var a = ClientPartition.ForAddress(IPAddress.Parse("2001:db8:aaaa:bbbb::10"));
        var b = ClientPartition.ForAddress(IPAddress.Parse("2001:db8:aaaa:bbbb:dead:beef:0:1"));
        var c = ClientPartition.ForAddress(IPAddress.Parse("2001:db8:aaaa:bbbc::10"));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData("192.0.2.7", "ip:192.0.2.7")]
    [InlineData("192.0.2.8", "ip:192.0.2.8")]
    [InlineData("::ffff:192.0.2.7", "ip:192.0.2.7")]
    public void Ipv4_clients_count_per_address_also_behind_a_dual_stack_socket(string address, string expected) =>
        Assert.Equal(expected, ClientPartition.ForAddress(IPAddress.Parse(address)));

    [Fact]
    public void A_connection_without_a_peer_address_is_one_client() =>
        Assert.Equal("ip:unknown", ClientPartition.ForAddress(null));
}
