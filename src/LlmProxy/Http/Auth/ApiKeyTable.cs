using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace LlmProxy.Http.Auth;

/// <summary>
/// The accepted API keys at one moment: immutable, so a reload swaps the whole table at once and a request keeps the
/// entry it matched even if the key is removed while it runs.
/// </summary>
/// <remarks>
/// Keys are kept only as SHA-256 digests and every lookup compares the presented key's digest with every entry using
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, without an early exit: the time taken tells neither which key
/// matched nor how much of one did.
/// </remarks>
internal sealed class ApiKeyTable
{
    public static readonly ApiKeyTable Empty = new([]);

    private readonly ApiKeyEntry[] _entries;

    private ApiKeyTable(ApiKeyEntry[] entries) => _entries = entries;

    public IReadOnlyList<ApiKeyEntry> Entries => _entries;

    public int Count => _entries.Length;

    /// <summary>
    /// The table of PROXY_API_KEYS (<paramref name="plainKeys"/>: no settings, shown by digest prefix) and the keys
    /// file's entries. A key in both is taken from the file, where it has its settings.
    /// </summary>
    public static ApiKeyTable Create(IEnumerable<string> plainKeys, IEnumerable<ApiKeyEntry> fileEntries)
    {
        var entries = new List<ApiKeyEntry>(fileEntries);
        foreach (var key in plainKeys)
        {
            var digest = SHA256.HashData(Encoding.UTF8.GetBytes(key));
            if (!entries.Exists(e => e.Digest.AsSpan().SequenceEqual(digest)))
            {
                entries.Add(new ApiKeyEntry(digest, null, null, null, null));
            }
        }
        return new ApiKeyTable([.. entries]);
    }

    /// <summary>The entry of <paramref name="presentedKey"/>, or null when it is not an accepted key.</summary>
    public ApiKeyEntry? Find(ReadOnlySpan<char> presentedKey)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        var byteCount = Encoding.UTF8.GetMaxByteCount(presentedKey.Length);
        byte[]? rented = null;
        var bytes = byteCount <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(byteCount));
        try
        {
            var written = Encoding.UTF8.GetBytes(presentedKey, bytes);
            SHA256.HashData(bytes[..written], digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented, clearArray: true); // it held a key
            }
        }
        ApiKeyEntry? match = null;
        foreach (var entry in _entries)
        {
            // No early exit (see the remarks): every entry is compared, whichever one matches.
            var equal = CryptographicOperations.FixedTimeEquals(entry.Digest, digest);
            match = equal ? entry : match;
        }
        return match;
    }
}
