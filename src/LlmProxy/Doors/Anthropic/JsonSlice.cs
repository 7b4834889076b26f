namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// Where one JSON value sits in a body: its raw token, as it was written (a string keeps its quotes and escapes). The
/// translators copy these bytes instead of unescaping and re-escaping them, so text, ids and tool inputs pass through
/// byte for byte.
/// </summary>
internal readonly record struct JsonSlice(int Start, int Length)
{
    public bool IsPresent => Length > 0;

    /// <summary>The raw token (a string with its quotes).</summary>
    public ReadOnlySpan<byte> Raw(ReadOnlySpan<byte> body) => body.Slice(Start, Length);

    /// <summary>A string token without its quotes: still escaped, ready to be copied into another JSON string.</summary>
    public ReadOnlySpan<byte> StringContent(ReadOnlySpan<byte> body) => body.Slice(Start + 1, Length - 2);
}
