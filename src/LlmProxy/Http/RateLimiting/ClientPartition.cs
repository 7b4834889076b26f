using System.Net;
using System.Net.Sockets;
using LlmProxy.Http.Auth;

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// Who a client is for the limits (docs/api.md, Rate limits): the API key's name in key mode (<c>key:alice</c>; keys
/// sharing a name share their limits), else the TCP peer's address (<c>ip:…</c>). Never the API key, nor anything
/// derived from it that is not its configured name.
/// </summary>
/// <remarks>
/// IPv6 clients are grouped by their /64: an ISP or a cloud hands one customer a whole /64 (RFC 6177), and a host
/// picks new addresses in it at will (RFC 8981 temporary addresses), so limiting per /128 gives one machine endless
/// budgets. IPv4 clients count per address; an IPv4 client seen through a dual-stack socket (<c>::ffff:a.b.c.d</c>)
/// counts as its IPv4 address. Forwarded headers are never trusted: any client could forge them.
/// </remarks>
internal static class ClientPartition
{
    public const string Unknown = "ip:unknown";

    public static string For(HttpContext context) =>
        ApiKeyEntry.Of(context)?.ClientId ?? ForAddress(context.Connection.RemoteIpAddress);

    /// <summary><c>ip:192.0.2.7</c>, or <c>ip:2001:db8:1:2::/64</c> for any address in that IPv6 /64.</summary>
    public static string ForAddress(IPAddress? address)
    {
        if (address is null)
        {
            return Unknown;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "ip:" + address;
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear(); // the interface identifier: whatever the host picked inside its /64
        return "ip:" + new IPAddress(bytes) + "/64";
    }
}
