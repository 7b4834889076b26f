using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace LlmProxy.Configuration;

/// <summary>
/// REDIS_URL: <c>redis://[[user]:password@]host[:port][/db]</c>, or <c>rediss://</c> for TLS (the scheme pair most
/// Redis clients accept, e.g. redis-py and node-redis). The port defaults to 6379, the database to 0. User and password
/// may be percent-encoded; a password may also hold a raw <c>@</c>, <c>:</c> or <c>/</c>, since userinfo ends at the
/// last <c>@</c>. Parse errors never include the password (docs/replicas.md, "Settings").
/// </summary>
internal sealed class RedisUrl
{
    public const int DefaultPort = 6379;

    private RedisUrl(bool tls, string host, int port, int database, string? user, string? password)
    {
        Tls = tls;
        Host = host;
        Port = port;
        Database = database;
        User = user;
        Password = password;
    }

    public bool Tls { get; }

    /// <summary>A DNS name or an IP address (IPv6 without brackets).</summary>
    public string Host { get; }

    public int Port { get; }

    public int Database { get; }

    /// <summary>The ACL user (Redis 6+), or null for the default user.</summary>
    public string? User { get; }

    /// <summary>The password (secret: never logged, never in <see cref="ToString"/>).</summary>
    public string? Password { get; }

    /// <summary>The URL without its password, for logs and the start banner.</summary>
    public override string ToString()
    {
        var host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        var userInfo = User is null && Password is null ? "" : $"{User}{(Password is null ? "" : ":***")}@";
        return string.Create(CultureInfo.InvariantCulture, $"{(Tls ? "rediss" : "redis")}://{userInfo}{host}:{Port}/{Database}");
    }

    /// <summary>Parses REDIS_URL; <paramref name="error"/> says what is wrong without echoing the password.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out RedisUrl? url, [NotNullWhen(false)] out string? error)
    {
        url = null;
        const string Expected = "expected redis://[user:password@]host[:port][/db] or rediss://... for TLS";
        var value = text?.Trim() ?? "";
        bool tls;
        if (value.StartsWith("redis://", StringComparison.OrdinalIgnoreCase))
        {
            tls = false;
            value = value["redis://".Length..];
        }
        else if (value.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            tls = true;
            value = value["rediss://".Length..];
        }
        else
        {
            error = Expected;
            return false;
        }

        // Userinfo ends at the last '@': neither host, port nor db can hold one, a raw password can.
        string? user = null, password = null;
        var at = value.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = value[..at];
            value = value[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var rawUser = colon < 0 ? userInfo : userInfo[..colon];
            user = rawUser.Length == 0 ? null : Uri.UnescapeDataString(rawUser);
            if (colon >= 0)
            {
                var rawPassword = userInfo[(colon + 1)..];
                password = rawPassword.Length == 0 ? null : Uri.UnescapeDataString(rawPassword);
            }
            else if (user is not null)
            {
                // "redis://secret@host" is ambiguous: some clients read a password, others a user. Refuse it rather
                // than guess, and do not echo it: it may well be the password.
                error = "the part before '@' has no ':' (write user:password@ or :password@ for the default user)";
                return false;
            }
        }

        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? value : value[..slash];
        var path = slash < 0 ? "" : value[(slash + 1)..];
        if (authority.AsSpan().IndexOfAny("?#") >= 0 || path.AsSpan().IndexOfAny("?#") >= 0)
        {
            error = "REDIS_URL takes no ?query or #fragment options";
            return false;
        }

        if (!TrySplitHostPort(authority, out var host, out var port, out error))
        {
            return false;
        }

        var database = 0;
        if (path.Length > 0 && !int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database))
        {
            error = $"the database '{Clip(path)}' is not a whole number, 0 or more ({Expected})";
            return false;
        }

        url = new RedisUrl(tls, host, port, database, user, password);
        error = null;
        return true;
    }

    /// <summary>Like <see cref="TryParse"/>, throwing <see cref="FormatException"/> with "invalid REDIS_URL: why".</summary>
    public static RedisUrl Parse(string? text) =>
        TryParse(text, out var url, out var error) ? url : throw new FormatException("invalid REDIS_URL: " + error);

    private static bool TrySplitHostPort(string authority, out string host, out int port, [NotNullWhen(false)] out string? error)
    {
        host = "";
        port = DefaultPort;
        string portText;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || !IPAddress.TryParse(authority[1..close], out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                error = $"'{Clip(authority)}' is not a bracketed IPv6 address such as [::1]";
                return false;
            }
            host = authority[1..close];
            portText = authority[(close + 1)..];
            if (portText.Length > 0 && portText[0] != ':')
            {
                error = $"unexpected text after the IPv6 address in '{Clip(authority)}'";
                return false;
            }
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? "" : authority[colon..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                error = "an IPv6 host must be written in brackets, such as redis://[::1]:6379";
                return false;
            }
        }
        if (host.Length == 0)
        {
            error = "the host is missing (expected redis://host[:port])";
            return false;
        }
        if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            error = $"'{Clip(host)}' is not a host name or IP address";
            return false;
        }
        if (portText.Length > 0)
        {
            var digits = portText[1..];
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                error = $"the port '{Clip(digits)}' is not a number from 1 to 65535";
                return false;
            }
        }
        error = null;
        return true;
    }

    // Echoed parts come from after the userinfo, so they hold no password; clipped so a pasted blob stays one line.
    private static string Clip(string text) => text.Length <= 64 ? text : text[..64] + "...";
}
