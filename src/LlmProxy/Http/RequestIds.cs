using System.Security.Cryptography;
using Microsoft.Extensions.Primitives;

namespace LlmProxy.Http;

/// <summary>
/// Request ids (docs/api.md, Request ids): an inbound <c>x-request-id</c> of 1–128 characters from
/// <c>[A-Za-z0-9._:-]</c> is kept; anything else (CR/LF, non-ASCII, too long) is replaced, so a client cannot inject
/// into logs or headers. Every response carries one, 404/405/413/500 included.
/// </summary>
internal static class RequestIds
{
    public const string HeaderName = "x-request-id";

    private static readonly Func<object, Task> AddHeader = static state =>
    {
        var context = (HttpContext)state;
        context.Response.Headers[HeaderName] = context.TraceIdentifier;
        return Task.CompletedTask;
    };

    /// <summary>
    /// Picks the request's id and stores it in <see cref="HttpContext.TraceIdentifier"/> (no extra allocation, and the
    /// framework's own logs pick it up). The header is added when the response starts, so it survives error handlers
    /// that clear the response.
    /// </summary>
    public static void Assign(HttpContext context)
    {
        StringValues inbound = context.Request.Headers[HeaderName];
        context.TraceIdentifier = inbound.Count == 1 && IsAcceptable(inbound[0]) ? inbound[0]! : New();
        context.Response.OnStarting(AddHeader, context);
    }

    public static bool IsAcceptable(ReadOnlySpan<char> value)
    {
        if (value.Length is 0 or > 128)
        {
            return false;
        }
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-'))
            {
                return false;
            }
        }
        return true;
    }

    private const int IdBytes = 16;
    private const int BatchBytes = 256 * IdBytes;

    [ThreadStatic]
    private static byte[]? randomBatch;

    [ThreadStatic]
    private static int randomUsed;

    /// <summary>
    /// A new id: 32 lower-case hex digits from 16 cryptographically random bytes. The bytes are drawn 4 KB at a time
    /// per thread: <c>Guid.NewGuid</c> cost one <c>read()</c> of the kernel's random source per request (≈ 4 % of the
    /// proxy's samples under load, docs/BENCHMARKS.md "Hot-path changes"), this costs one per 256 requests.
    /// </summary>
    public static string New()
    {
        var batch = randomBatch ??= new byte[BatchBytes];
        if (randomUsed == 0 || randomUsed == BatchBytes)
        {
            RandomNumberGenerator.Fill(batch);
            randomUsed = 0;
        }
        var id = Convert.ToHexStringLower(batch, randomUsed, IdBytes);
        randomUsed += IdBytes;
        return id;
    }
}
