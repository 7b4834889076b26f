using System.IO.Hashing;

namespace LlmProxy.Operations.Docs;

/// <summary>One embedded docs file: where it is served, its media type, its stored (brotli) length and its ETag.</summary>
internal sealed class DocsAsset
{
    public DocsAsset(string name, string resourceName)
    {
        Name = name;
        ResourceName = resourceName;
        ContentType = ContentTypeOf(name);
        using var stream = Open();
        CompressedLength = stream.Length;
        ETag = $"W/\"{HashOf(stream):x16}\"";
    }

    public string Name { get; }

    public string ResourceName { get; }

    public string ContentType { get; }

    public long CompressedLength { get; }

    public string ETag { get; }

    public Stream Open() => typeof(DocsAsset).Assembly.GetManifestResourceStream(ResourceName)
        ?? throw new InvalidOperationException($"{ResourceName} is not embedded");

    private static ulong HashOf(Stream stream)
    {
        var hash = new XxHash3();
        hash.Append(stream);
        return hash.GetCurrentHashAsUInt64();
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".json" => "application/json; charset=utf-8",
        ".png" => "image/png",
        _ => "text/plain; charset=utf-8",
    };
}
