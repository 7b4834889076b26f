namespace LlmProxy.E2E.Support;

/// <summary>
/// Locates the published AOT binary. The E2E layer fails — never skips — when it is missing: CI must have published
/// it first (./build.sh test does), so a missing binary is a broken build, not a reason to pass.
/// </summary>
public static class ProxyBinary
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Path
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("LLMPROXY_BINARY") is { Length: > 0 } fromEnv
                ? fromEnv
                : System.IO.Path.Combine(RepoRoot, "artifacts", "llm-proxy");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"The published binary is missing at {path}: run ./build.sh publish first.", path);
            }
            return path;
        }
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "LlmProxy.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("LlmProxy.sln not found above " + AppContext.BaseDirectory);
    }
}
