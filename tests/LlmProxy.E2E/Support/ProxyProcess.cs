using System.Collections.Concurrent;
using System.Diagnostics;

namespace LlmProxy.E2E.Support;

/// <summary>The published binary running as a child process on a free loopback port, with its output captured.</summary>
public sealed class ProxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    private ProxyProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        Client = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _stdout.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _stderr.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }
    public Uri BaseUrl { get; }
    public HttpClient Client { get; }
    public Process Process => _process;
    public IReadOnlyCollection<string> StdoutLines => _stdout;
    public IReadOnlyCollection<string> StderrLines => _stderr;
    public bool HasExited => _process.HasExited;

    /// <summary>Starts the binary with only the given environment (plus PATH/HOME) and waits until /healthz answers.</summary>
    public static async Task<ProxyProcess> StartAsync(IDictionary<string, string>? env = null, IEnumerable<string>? args = null)
    {
        var port = FreePort.Next();
        var info = StartInfo(args ?? [], env);
        if (env is not null && env.TryGetValue("PORT", out var fixedPort))
        {
            port = int.Parse(fixedPort, System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            info.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + info.FileName);
        var proxy = new ProxyProcess(process, port);
        await proxy.WaitHealthyAsync(TimeSpan.FromSeconds(15));
        return proxy;
    }

    private const string ResetSignalsLauncher = "/usr/bin/env";

    public static ProcessStartInfo StartInfo(IEnumerable<string> args, IDictionary<string, string>? env)
    {
        var info = new ProcessStartInfo(ProxyBinary.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (File.Exists(ResetSignalsLauncher))
        {
            // A test run started in the background of a non-interactive shell inherits SIGINT as ignored, and so would
            // the proxy, which keeps an inherited SIG_IGN: the SIGINT shutdown test would then test nothing. env(1)
            // restores the default disposition and execs the binary (same PID), as an interactive Ctrl+C would find it.
            info.FileName = ResetSignalsLauncher;
            info.ArgumentList.Add("--default-signal=INT,QUIT");
            info.ArgumentList.Add(ProxyBinary.Path);
        }
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // A clean environment: the proxy must not pick up the test runner's settings by accident.
        info.Environment.Clear();
        foreach (var name in new[] { "PATH", "HOME", "TMPDIR" })
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                info.Environment[name] = value;
            }
        }
        if (env is not null)
        {
            foreach (var (key, value) in env)
            {
                info.Environment[key] = value;
            }
        }
        return info;
    }

    /// <summary>Runs the binary to completion (for flags like --help, or settings that must fail).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToExitAsync(IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var info = StartInfo(args, env);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"llm-proxy {string.Join(' ', args)} did not exit");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        using var probe = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(2) };
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"llm-proxy exited with {_process.ExitCode}: {string.Join('\n', _stderr)} {string.Join('\n', _stdout)}");
            }
            try
            {
                using var response = await probe.GetAsync("healthz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(25);
        }
        throw new TimeoutException("llm-proxy did not become healthy: " + string.Join('\n', _stdout));
    }

    /// <summary>Sends SIGTERM (graceful shutdown) and waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            _ = Posix.Kill(_process.Id, Posix.SigTerm);
        }
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal (SIGTERM, SIGINT) without waiting.</summary>
    public void Signal(int signal)
    {
        if (Posix.Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed");
        }
    }

    /// <summary>Waits for the process to exit on its own and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
