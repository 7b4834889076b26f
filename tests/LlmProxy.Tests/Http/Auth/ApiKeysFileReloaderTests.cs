using System.Diagnostics;
using LlmProxy.Http.Auth;
using LlmProxy.Tests.Http.RateLimiting;

namespace LlmProxy.Tests.Http.Auth;

public sealed class ApiKeysFileReloaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("llmproxy-keys-").FullName;
    private readonly RecordingLogger _logger = new();

    private string KeysPath => Path.Combine(_directory, "keys.txt");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Reload_swaps_in_the_new_keys()
    {
        File.WriteAllText(KeysPath, "sk-alice name=alice\n");
        using var reloader = new ApiKeysFileReloader(KeysPath, [], _logger);
        var before = reloader.Current;
        File.WriteAllText(KeysPath, "sk-bob name=bob rpm=5\n");

        Assert.True(reloader.Reload("SIGHUP"));
        Assert.Null(reloader.Current.Find("sk-alice"));
        Assert.Equal(5, reloader.Current.Find("sk-bob")?.RequestsPerMinute);
        // A request that matched before the swap keeps its table and entry.
        Assert.Equal("alice", before.Find("sk-alice")?.Name);
        Assert.Contains(_logger.At(LogLevel.Information), l => l.Contains("reloaded (SIGHUP): 1 keys", StringComparison.Ordinal));
    }

    [Fact]
    public void A_broken_file_keeps_the_old_keys_and_logs_one_error_line_without_the_key()
    {
        File.WriteAllText(KeysPath, "sk-alice name=alice\n");
        using var reloader = new ApiKeysFileReloader(KeysPath, ["sk-env"], _logger);
        File.WriteAllText(KeysPath, "sk-alice name=alice\nsk-NEWSECRET rpm=lots\n");

        Assert.False(reloader.Reload("SIGHUP"));
        Assert.Equal("alice", reloader.Current.Find("sk-alice")?.Name);
        Assert.NotNull(reloader.Current.Find("sk-env"));
        Assert.Null(reloader.Current.Find("sk-NEWSECRET"));
        var error = Assert.Single(_logger.At(LogLevel.Error));
        Assert.Contains("line 2: rpm 'lots'", error, StringComparison.Ordinal);
        Assert.Contains("keeping the 2 keys loaded before", error, StringComparison.Ordinal);
        Assert.DoesNotContain("NEWSECRET", error, StringComparison.Ordinal);
        // Polling does not log the same broken file again and again.
        reloader.Poll();
        reloader.Poll();
        Assert.Single(_logger.At(LogLevel.Error));
    }

    [Fact]
    public void An_emptied_or_deleted_file_keeps_the_old_keys()
    {
        File.WriteAllText(KeysPath, "sk-alice name=alice\n");
        using var reloader = new ApiKeysFileReloader(KeysPath, [], _logger);
        File.WriteAllText(KeysPath, ""); // an editor truncating before it writes
        Assert.False(reloader.Reload("file changed"));
        File.Delete(KeysPath);
        reloader.Poll();
        Assert.Equal("alice", reloader.Current.Find("sk-alice")?.Name);
        Assert.Equal(2, _logger.At(LogLevel.Error).Count());
    }

    [Fact]
    public void A_file_that_cannot_be_used_at_start_is_an_error_naming_it()
    {
        File.WriteAllText(KeysPath, "sk-1 rpm=x\n");
        var error = Assert.Throws<ApiKeysFileException>(() => new ApiKeysFileReloader(KeysPath, [], _logger));
        Assert.StartsWith($"PROXY_API_KEYS_FILE {KeysPath}, line 1:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rewriting_the_file_is_noticed_by_polling()
    {
        File.WriteAllText(KeysPath, "sk-alice name=alice\n");
        using var reloader = new ApiKeysFileReloader(KeysPath, [], _logger, pollInterval: TimeSpan.FromMilliseconds(100));
        reloader.Start();
        // Same length as before: only the modification time tells the change.
        File.WriteAllText(KeysPath, "sk-carol name=carol\n");
        File.SetLastWriteTimeUtc(KeysPath, DateTime.UtcNow.AddSeconds(5));
        await WaitFor(() => reloader.Current.Find("sk-carol") is not null);
        Assert.Null(reloader.Current.Find("sk-alice"));
        Assert.Contains(_logger.At(LogLevel.Information), l => l.Contains("(file changed)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_symlink_swap_as_kubernetes_does_for_a_secret_is_noticed_by_polling()
    {
        // A Secret volume: keys.txt -> ..data/keys.txt, ..data -> a timestamped directory replaced atomically.
        var first = Directory.CreateDirectory(Path.Combine(_directory, "..2026_01")).FullName;
        var second = Directory.CreateDirectory(Path.Combine(_directory, "..2026_02")).FullName;
        File.WriteAllText(Path.Combine(first, "keys.txt"), "sk-alice name=alice\n");
        File.WriteAllText(Path.Combine(second, "keys.txt"), "sk-carol name=carol\n");
        File.SetLastWriteTimeUtc(Path.Combine(second, "keys.txt"), File.GetLastWriteTimeUtc(Path.Combine(first, "keys.txt")));
        var data = Path.Combine(_directory, "..data");
        File.CreateSymbolicLink(data, first);
        File.CreateSymbolicLink(KeysPath, Path.Combine("..data", "keys.txt"));
        using var reloader = new ApiKeysFileReloader(KeysPath, [], _logger, pollInterval: TimeSpan.FromMilliseconds(100));
        reloader.Start();
        Assert.NotNull(reloader.Current.Find("sk-alice"));

        var next = Path.Combine(_directory, "..data_tmp");
        File.CreateSymbolicLink(next, second);
        using (var rename = Process.Start("mv", ["-T", next, data])) // rename(2) over the old link: atomic
        {
            await rename.WaitForExitAsync();
            Assert.Equal(0, rename.ExitCode);
        }
        await WaitFor(() => reloader.Current.Find("sk-carol") is not null);
    }

    [Fact]
    public async Task A_real_sighup_reloads_the_keys_and_does_not_end_the_process()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // no SIGHUP there; CI runs on Linux
        }
        File.WriteAllText(KeysPath, "sk-alice name=alice\n");
        using var reloader = new ApiKeysFileReloader(KeysPath, [], _logger, pollInterval: TimeSpan.FromHours(1));
        reloader.Start();
        File.WriteAllText(KeysPath, "sk-dave name=dave\n"); // the next poll is an hour away: only the signal can reload
        using (var kill = Process.Start("kill", ["-HUP", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        await WaitFor(() => reloader.Current.Find("sk-dave") is not null);
        Assert.Contains(_logger.At(LogLevel.Information), l => l.Contains("(SIGHUP)", StringComparison.Ordinal));
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "the keys were not reloaded within 10 s");
            await Task.Delay(20);
        }
    }
}
