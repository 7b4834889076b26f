namespace LlmProxy.Http;

/// <summary>
/// Request ids (CONTRACT §4): an inbound <c>x-request-id</c> of 1–128 characters from <c>[A-Za-z0-9._:-]</c> is kept;
/// anything else (CR/LF, non-ASCII, too long) is replaced, so a client cannot inject into logs or headers.
/// </summary>
public static class RequestIds
{
    public const string HeaderName = "x-request-id";

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

    /// <summary>A new id: 32 lower-case hex digits.</summary>
    public static string New() => Guid.NewGuid().ToString("N");
}
