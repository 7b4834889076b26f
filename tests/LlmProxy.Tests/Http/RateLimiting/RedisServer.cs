using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace LlmProxy.Tests.Http.RateLimiting;

/// <summary>
/// A real redis-server of the test's own, on a free loopback port, without persistence (<c>--save "" --appendonly no</c>).
/// It can be stopped, started again on the same port, and frozen (SIGSTOP) to play a Redis that stopped answering.
/// ./build.sh installs the Debian package when it is missing; without it the tests fail with a message saying so.
/// </summary>
internal sealed class RedisServer : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("llmproxy-redis-").FullName;
    private readonly string? _password;
    private Process? _process;
    private ConnectionMultiplexer? _admin;

    private RedisServer(int port, string? password)
    {
        Port = port;
        _password = password;
    }

    public int Port { get; }

    /// <summary>REDIS_URL of this server (with the password when one is required).</summary>
    public string Url => _password is null ? $"redis://127.0.0.1:{Port}" : $"redis://:{Uri.EscapeDataString(_password)}@127.0.0.1:{Port}";

    public static RedisServer Start(string? password = null)
    {
        var server = new RedisServer(FreePort(), password);
        server.StartAgain();
        return server;
    }

    /// <summary>Starts redis-server on <see cref="Port"/> (again, after <see cref="Stop"/>) and waits until it answers.</summary>
    public void StartAgain()
    {
        var executable = FindExecutable();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", "--dir", _directory, "--loglevel", "warning" })
        {
            start.ArgumentList.Add(argument);
        }
        if (_password is not null)
        {
            start.ArgumentList.Add("--requirepass");
            start.ArgumentList.Add(_password);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (!Answers())
        {
            if (_process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new InvalidOperationException($"redis-server on port {Port} did not answer PING within 10 s");
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>Kills the server (as a crash or an outage would) and waits until it is gone.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    /// <summary>Freezes the server: connections stay open, nothing is answered (a stalled or overloaded Redis).</summary>
    public void Freeze() => Signal("-STOP");

    public void Thaw() => Signal("-CONT");

    /// <summary>A separate client for the test's own look at the data (not the store under test).</summary>
    public IDatabase Admin()
    {
        _admin ??= ConnectionMultiplexer.Connect(new ConfigurationOptions
        {
            EndPoints = { { IPAddress.Loopback, Port } },
            Password = _password,
            AbortOnConnectFail = false,
            AllowAdmin = true, // INFO
        });
        return _admin.GetDatabase();
    }

    /// <summary>How often the server ran each command so far (INFO commandstats, which counts script-inner calls too).</summary>
    public Dictionary<string, long> CommandCalls()
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in ((string?)Admin().Execute("INFO", "commandstats") ?? "").Split('\n'))
        {
            // cmdstat_evalsha:calls=101,usec=...
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal) && line.IndexOf(":calls=", StringComparison.Ordinal) is var colon and > 0)
            {
                var value = line[(colon + ":calls=".Length)..];
                calls[line["cmdstat_".Length..colon]] = long.Parse(value[..value.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return calls;
    }

    public void Dispose()
    {
        Thaw();
        _admin?.Dispose();
        Stop();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private bool Answers()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            using var stream = client.GetStream();
            stream.ReadTimeout = 2000;
            // An unauthenticated PING answers -NOAUTH when a password is required: an answer all the same.
            stream.Write("PING\r\n"u8);
            var buffer = new byte[256];
            return stream.Read(buffer) > 0;
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }

    private void Signal(string signal)
    {
        if (_process is { HasExited: false } process)
        {
            using var kill = Process.Start("kill", [signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
    }

    private static string FindExecutable()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin").Append("/usr/sbin"))
        {
            var candidate = Path.Combine(dir, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("redis-server is not installed: apt-get install redis-server (./build.sh test installs it)");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
