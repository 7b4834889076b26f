using System.Net;
using System.Net.Sockets;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>
/// Hostile clients (docs/operations.md, Limits) against the real binary: each gets a correct 4xx or a closed connection — never a 500,
/// a hang or a crash — and the proxy keeps serving everyone else meanwhile.
/// </summary>
public class HostileClientTests(RunningProxyFixture fixture) : IClassFixture<RunningProxyFixture>
{
    private const string Chat = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";
    private ProxyProcess Proxy => fixture.Proxy;

    private async Task AssertStillServingAsync()
    {
        using var response = await Proxy.Client.SendAsync(Http.Post("proxy", Chat));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(Proxy.HasExited);
    }

    /// <summary>Sends <paramref name="text"/> once a second for up to 30 s, until the server closes the connection.</summary>
    private static Task TrickleAsync(RawHttp raw, string text) => Task.Run(async () =>
    {
        for (var i = 0; i < 30; i++)
        {
            await Task.Delay(1000);
            try
            {
                await raw.SendAsync(text);
            }
            catch (SocketException)
            {
                return;
            }
        }
    });

    private async Task<string> ExchangeAsync(string request)
    {
        using var raw = await RawHttp.ConnectAsync(Proxy.Port);
        await raw.SendAsync(request);
        return await raw.ReadRawResponseAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Slow_headers_are_cut_by_the_header_timeout_while_others_are_served()
    {
        using var raw = await RawHttp.ConnectAsync(Proxy.Port);
        await raw.SendAsync("POST /proxy HTTP/1.1\r\nHost: localhost\r\n");
        // One header byte a second: a textbook slowloris. Stops when the server closes.
        var trickle = TrickleAsync(raw, "X");
        await AssertStillServingAsync();
        var (text, closed, elapsed) = await raw.ReadUntilClosedAsync(TimeSpan.FromSeconds(25));
        Assert.True(closed, "the slow-header connection was not closed");
        Assert.InRange(elapsed.TotalSeconds, 0, 20);
        var status = RawHttp.StatusOf(text);
        Assert.True(status is 0 or 408 or 400, $"unexpected status {status}");
        await trickle;
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Slow_bodies_are_cut_by_the_minimum_data_rate()
    {
        using var raw = await RawHttp.ConnectAsync(Proxy.Port);
        await raw.SendAsync("POST /proxy HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{");
        var trickle = TrickleAsync(raw, " ");
        await AssertStillServingAsync();
        var (text, closed, elapsed) = await raw.ReadUntilClosedAsync(TimeSpan.FromSeconds(25));
        Assert.True(closed, "the slow-body connection was not closed");
        Assert.InRange(elapsed.TotalSeconds, 0, 20);
        Assert.DoesNotContain("HTTP/1.1 500", text, StringComparison.Ordinal);
        await trickle;
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Thousands_of_idle_connections_do_not_stop_service()
    {
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < 2000; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, Proxy.Port);
                sockets.Add(socket);
            }
            await AssertStillServingAsync();
            using var health = await Proxy.Client.GetAsync("healthz");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_one_megabyte_header_is_431_or_a_closed_connection()
    {
        using var raw = await RawHttp.ConnectAsync(Proxy.Port);
        try
        {
            await raw.SendAsync($"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: {new string('a', 1024 * 1024)}\r\n\r\n");
        }
        catch (SocketException)
        {
            // Kestrel may answer 431 and close while the megabyte is still being sent: the send then breaks.
        }
        var (text, closed, _) = await raw.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));
        var status = RawHttp.StatusOf(text);
        Assert.True(status == 431 || (status == 0 && closed), $"expected 431 or a closed connection, got {status}: {text[..Math.Min(100, text.Length)]}");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Content_length_with_transfer_encoding_is_read_by_chunks_and_nothing_is_smuggled()
    {
        // RFC 9112 §6.1: Transfer-Encoding overrides Content-Length, and a server that gets both must close the
        // connection after the response. The chunked body here is a complete, valid chat request; the Content-Length (4)
        // lies. Read by chunks, the request is served (200, the stub's answer) and the connection closes: the pipelined
        // GET /smuggled is never answered. A server that honoured Content-Length would read "3A\r\n" as the body (a
        // 400) and then answer the rest as further requests — the desync request smuggling feeds on.
        var body = Chat;
        var chunked = $"{body.Length:X}\r\n{body}\r\n0\r\n\r\n";
        var smuggled = "GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";
        var request = "POST /proxy HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\n" +
                      $"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n{chunked}";
        using var raw = await RawHttp.ConnectAsync(Proxy.Port);
        await raw.SendAsync(request + smuggled);
        var (text, closed, _) = await raw.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(200, RawHttp.StatusOf(text));
        Assert.Contains("\"content\":\"stub response\"", text, StringComparison.Ordinal);
        // Exactly one response on the connection, and then the server closed it.
        Assert.Single(text.Split("\r\n"), line => line.StartsWith("HTTP/1.", StringComparison.Ordinal));
        Assert.True(closed, "the connection stayed open after a request with both Content-Length and Transfer-Encoding");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_request_id_with_a_bare_CR_is_refused()
    {
        // A CR inside a field value is invalid (RFC 9110 §5.5); Kestrel refuses the request before the app sees it.
        var response = await ExchangeAsync("GET /healthz HTTP/1.1\r\nHost: localhost\r\nx-request-id: abc\rSet-Cookie: owned\r\n\r\n");
        Assert.Equal(400, RawHttp.StatusOf(response));
        Assert.DoesNotContain("Set-Cookie", response, StringComparison.OrdinalIgnoreCase);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_bare_LF_ends_the_header_line_and_cannot_inject_a_response_header()
    {
        // RFC 9112 §2.2 lets a recipient treat a bare LF as a line end: "x-request-id: abc" and "Set-Cookie: owned"
        // become two request headers. The id "abc" is acceptable and kept; nothing reaches the response's headers.
        var response = await ExchangeAsync("GET /healthz HTTP/1.1\r\nHost: localhost\r\nx-request-id: abc\nSet-Cookie: owned\r\n\r\n");
        var status = RawHttp.StatusOf(response);
        Assert.True(status is 200 or 400, $"unexpected status {status}");
        Assert.DoesNotContain("Set-Cookie", response, StringComparison.OrdinalIgnoreCase);
        if (status == 200)
        {
            Assert.Contains("x-request-id: abc\r\n", response, StringComparison.Ordinal);
        }
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_non_ascii_request_id_is_refused_or_replaced()
    {
        using var raw = await RawHttp.ConnectAsync(Proxy.Port);
        await raw.SendAsync([.. "GET /healthz HTTP/1.1\r\nHost: localhost\r\nx-request-id: caf"u8, 0xC3, 0xA9, .. "\r\n\r\n"u8]);
        var response = await raw.ReadRawResponseAsync(TimeSpan.FromSeconds(10));
        var status = RawHttp.StatusOf(response);
        Assert.True(status is 200 or 400, $"unexpected status {status}");
        var idLine = response.Split("\r\n").FirstOrDefault(l => l.StartsWith("x-request-id:", StringComparison.OrdinalIgnoreCase));
        Assert.NotNull(idLine);
        // Replaced by a generated id: 32 lower-case hex digits.
        Assert.Matches("^x-request-id: [0-9a-f]{32}$", idLine);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("//proxy", 404)]
    [InlineData("/proxy/../healthz", 200)]
    [InlineData("/%68ealthz", 200)]
    [InlineData("/healthz%00", 400)]
    [InlineData("/%2e%2e/%2e%2e/etc/passwd", 404)]
    [InlineData("/proxy%2fstream", 404)]
    public async Task Odd_paths_get_their_own_status_with_a_request_id(string path, int expected)
    {
        // Each path has one right answer: dot segments and escaped letters are normalised (the route is found), an
        // escaped slash stays part of a segment (no route), an escaped NUL is refused by Kestrel before the app.
        var response = await ExchangeAsync($"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        var status = RawHttp.StatusOf(response);
        Assert.True(status == expected, $"{path}: expected {expected}, got {status}");
        if (status != 400)
        {
            Assert.Contains("x-request-id:", response, StringComparison.OrdinalIgnoreCase);
        }
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("""{"model":"m","model":"n","messages":[{"role":"user","content":"hi"}]}""", 200)]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":1e999999}""", 200)]
    [InlineData("""{"model":1e999999,"messages":[{"role":"user","content":"hi"}]}""", 422)]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"\ud800"}]}""", 422)]
    public async Task Odd_but_well_formed_json_is_answered_without_a_500(string body, int expected)
    {
        using var response = await Proxy.Client.SendAsync(Http.Post("proxy", body));
        Assert.Equal(expected, (int)response.StatusCode);
        await AssertStillServingAsync();
    }
}
