using System.IO.Compression;
using LlmProxy.Operations;

namespace LlmProxy.Tests.Operations.Docs;

/// <summary>The embedded /openapi.json against what the routes generate now (see <see cref="OpenApiGenerator"/>).</summary>
public class OpenApiDocumentTests
{
    /// <summary>Set by <c>./build.sh openapi</c>: rewrite the committed document instead of failing.</summary>
    private const string UpdateVariable = "LLMPROXY_UPDATE_OPENAPI";

    [Fact]
    public async Task The_embedded_openapi_document_is_the_one_the_routes_generate()
    {
        var generated = Normalize(await OpenApiGenerator.GenerateAsync());
        var embedded = Normalize(Embedded());
        if (generated == embedded)
        {
            return;
        }
        var committed = Path.Combine(RepoRoot(), "src", "LlmProxy", "Operations", "Docs", "openapi.json");
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            await File.WriteAllTextAsync(committed, generated + "\n");
            return;
        }
        Assert.Fail($"The embedded {committed} no longer matches the routes: run ./build.sh openapi (or "
            + $"{UpdateVariable}=1 dotnet test --filter {nameof(OpenApiDocumentTests)}), review the diff and commit it. "
            + $"First difference at character {FirstDifference(generated, embedded)}.");
    }

    private static string Embedded()
    {
        using var stored = typeof(DocsApi).Assembly.GetManifestResourceStream("openapi.json.br")
            ?? throw new Xunit.Sdk.XunitException("openapi.json.br is not embedded in the proxy's assembly");
        using var brotli = new BrotliStream(stored, CompressionMode.Decompress);
        using var reader = new StreamReader(brotli);
        return reader.ReadToEnd();
    }

    private static string Normalize(string json) => json.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd();

    private static int FirstDifference(string a, string b)
    {
        var i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
        {
            i++;
        }
        return i;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LlmProxy.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("LlmProxy.sln not found above " + AppContext.BaseDirectory);
    }
}
