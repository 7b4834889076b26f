using System.Runtime.InteropServices;

namespace LlmProxy.Http.Auth;

/// <summary>
/// Keeps the key table of PROXY_API_KEYS_FILE current without a restart: re-reads the file on <c>SIGHUP</c> and when
/// it changes, and swaps in the new table atomically. A file that cannot be used keeps the old table and logs one error
/// line; requests in flight keep the entry they matched (docs/replicas.md, "Reloading keys").
/// </summary>
/// <remarks>
/// Changes are found by polling the file's modification time, size and fully resolved path every <see cref="DefaultPollInterval"/>,
/// not by file-system events: inotify events are lost on container bind mounts, and a Kubernetes Secret volume
/// updates by swapping a symlink, which only a stat of the resolved target notices.
/// </remarks>
internal sealed partial class ApiKeysFileReloader : IApiKeySource, IDisposable
{
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(2);

    private readonly string _path;
    private readonly string[] _plainKeys;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _pollInterval;
    private readonly Lock _reloadLock = new();
    private ApiKeyTable _table;
    private FileSignature _seen;
    private ITimer? _timer;
    private PosixSignalRegistration? _sighup;

    /// <summary>Loads the file once; throws <see cref="ApiKeysFileException"/> when it cannot be used (exit 2 at start).</summary>
    public ApiKeysFileReloader(string path, IEnumerable<string> plainKeys, ILogger logger, TimeProvider? time = null, TimeSpan? pollInterval = null)
    {
        _path = path;
        _plainKeys = [.. plainKeys];
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _pollInterval = pollInterval ?? DefaultPollInterval;
        _seen = FileSignature.Of(path);
        _table = ApiKeyTable.Create(_plainKeys, ApiKeysFile.Read(path));
    }

    /// <summary>The table to check requests against (read once per request; it never changes under the reader).</summary>
    public ApiKeyTable Current => Volatile.Read(ref _table);

    /// <summary>Starts polling and, outside Windows, listening for SIGHUP.</summary>
    public void Start()
    {
        _timer ??= _time.CreateTimer(static state => ((ApiKeysFileReloader)state!).Poll(), this, _pollInterval, _pollInterval);
        // On Windows, PosixSignal.SIGHUP stands for closing the console window: not a reload request.
        if (_sighup is null && !OperatingSystem.IsWindows())
        {
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true; // SIGHUP's default action ends the process
                Reload("SIGHUP");
            });
        }
    }

    /// <summary>Re-reads the file now (what SIGHUP does). True when a new table is in place.</summary>
    public bool Reload(string trigger)
    {
        lock (_reloadLock)
        {
            // Taken before reading: a write that lands during the read changes the signature again and is read next poll.
            Volatile.Write(ref _seen, FileSignature.Of(_path));
            ApiKeyTable table;
            try
            {
                table = ApiKeyTable.Create(_plainKeys, ApiKeysFile.Read(_path));
            }
            catch (ApiKeysFileException e)
            {
                LogReloadFailed(_logger, trigger, e.Message, Current.Count);
                return false;
            }
            Volatile.Write(ref _table, table);
            LogReloaded(_logger, _path, trigger, table.Count);
            return true;
        }
    }

    /// <summary>One poll: reload when the file looks different from the last read (public for tests).</summary>
    public void Poll()
    {
        try
        {
            if (FileSignature.Of(_path) != Volatile.Read(ref _seen))
            {
                Reload("file changed");
            }
        }
        catch (Exception e)
        {
            // A timer callback must never throw (it would end the process); the next poll tries again.
            LogPollFailed(_logger, _path, e.GetType().Name);
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _sighup?.Dispose();
    }

    [LoggerMessage(EventId = 620, Level = LogLevel.Information, Message = "PROXY_API_KEYS_FILE {Path} reloaded ({Trigger}): {Count} keys")]
    private static partial void LogReloaded(ILogger logger, string path, string trigger, int count);

    [LoggerMessage(EventId = 621, Level = LogLevel.Error, Message = "Keys not reloaded ({Trigger}): {Problem}; keeping the {Count} keys loaded before")]
    private static partial void LogReloadFailed(ILogger logger, string trigger, string problem, int count);

    [LoggerMessage(EventId = 622, Level = LogLevel.Warning, Message = "Could not check PROXY_API_KEYS_FILE {Path} for changes ({Error})")]
    private static partial void LogPollFailed(ILogger logger, string path, string error);

    /// <summary>What the poll compares: the fully resolved file, its modification time and its size (or "missing").</summary>
    private sealed record FileSignature(string Target, DateTime LastWriteUtc, long Length)
    {
        private static readonly FileSignature Missing = new("", default, -1);

        public static FileSignature Of(string path)
        {
            try
            {
                var target = RealPath(path, 0);
                var info = new FileInfo(target);
                return info.Exists ? new FileSignature(target, info.LastWriteTimeUtc, info.Length) : Missing;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Missing;
            }
        }

        /// <summary>
        /// The path with every symlink resolved, directories included (like realpath(3)): a Secret volume's
        /// <c>keys.txt -&gt; ..data/keys.txt</c> only changes where <c>..data</c> points, which
        /// <see cref="File.ResolveLinkTarget(string, bool)"/> alone would not see.
        /// </summary>
        private static string RealPath(string path, int depth)
        {
            var full = Path.GetFullPath(path);
            var root = Path.GetPathRoot(full) ?? "";
            var current = root;
            foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
            {
                current = Path.Combine(current, part);
                // 40 links deep at most, as Linux's own limit for one lookup (ELOOP): a link cycle ends here.
                if (depth < 40 && new FileInfo(current).LinkTarget is { } target)
                {
                    current = RealPath(Path.Combine(Path.GetDirectoryName(current) ?? root, target), depth + 1);
                }
            }
            return current;
        }
    }
}
