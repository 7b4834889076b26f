using System.Buffers;
using System.Text.Json;
using LlmProxy.Http.Body;

namespace LlmProxy.Doors.OpenAi;

/// <summary>
/// Makes a streaming /v1 request ask for its usage (<c>stream_options.include_usage: true</c>) when a token limit needs
/// it and the client did not ask (docs/replicas.md, "Token limits"), by editing the client's bytes — never by
/// re-serialising them, so every other byte reaches the upstream as the client sent it:
/// <list type="bullet">
/// <item>no <c>stream_options</c>: <c>"stream_options":{"include_usage":true},</c> is inserted after the opening brace;</item>
/// <item><c>stream_options</c> without <c>include_usage</c>: <c>"include_usage":true</c> is inserted into it;</item>
/// <item><c>include_usage</c> false (or null, or not a boolean): its value becomes <c>true</c>;</item>
/// <item><c>stream_options: null</c>: it becomes <c>{"include_usage":true}</c>.</item>
/// </list>
/// A <c>stream_options</c> that is neither an object nor null is left as it is (the upstream refuses it). Every
/// top-level occurrence is edited, so a body with a duplicate member means the same to every JSON parser.
/// </summary>
internal static class IncludeUsageEdit
{
    private static readonly byte[] Member = "\"stream_options\":{\"include_usage\":true},"u8.ToArray();
    private static readonly byte[] Options = "{\"include_usage\":true}"u8.ToArray();
    private static readonly byte[] FirstOption = "\"include_usage\":true"u8.ToArray();
    private static readonly byte[] NextOption = "\"include_usage\":true,"u8.ToArray();
    private static readonly byte[] True = "true"u8.ToArray();

    /// <summary>
    /// The edited body in a pooled buffer, or null when <paramref name="body"/> (a JSON object the sniffer accepted)
    /// already asks for usage or cannot be edited.
    /// </summary>
    public static PooledBody? Apply(ReadOnlySpan<byte> body)
    {
        var edits = new List<Edit>(2);
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        var afterBrace = (int)reader.BytesConsumed;
        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isOptions = reader.ValueTextEquals("stream_options"u8);
            reader.Read();
            if (!isOptions)
            {
                reader.Skip();
                continue;
            }
            found = true;
            if (reader.TokenType == JsonTokenType.Null)
            {
                edits.Add(new Edit((int)reader.TokenStartIndex, (int)reader.BytesConsumed, Options));
            }
            else if (reader.TokenType == JsonTokenType.StartObject)
            {
                EditOptions(ref reader, edits);
            }
            else
            {
                reader.Skip();
            }
        }
        if (!found)
        {
            edits.Add(new Edit(afterBrace, afterBrace, Member));
        }
        return edits.Count == 0 ? null : Write(body, edits);
    }

    /// <summary>Inside <c>stream_options</c> (the reader on its '{'): set or add include_usage; leaves the reader on its '}'.</summary>
    private static void EditOptions(ref Utf8JsonReader reader, List<Edit> edits)
    {
        var afterBrace = (int)reader.BytesConsumed;
        var empty = true;
        var hasIncludeUsage = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            empty = false;
            var isIncludeUsage = reader.ValueTextEquals("include_usage"u8);
            reader.Read();
            var valueStart = (int)reader.TokenStartIndex;
            var isTrue = reader.TokenType == JsonTokenType.True;
            reader.Skip();
            if (isIncludeUsage)
            {
                hasIncludeUsage = true;
                if (!isTrue)
                {
                    edits.Add(new Edit(valueStart, (int)reader.BytesConsumed, True));
                }
            }
        }
        if (!hasIncludeUsage)
        {
            edits.Add(new Edit(afterBrace, afterBrace, empty ? FirstOption : NextOption));
        }
    }

    private static PooledBody Write(ReadOnlySpan<byte> body, List<Edit> edits)
    {
        var length = body.Length;
        foreach (var edit in edits)
        {
            length += edit.Insert.Length - (edit.End - edit.Start);
        }
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        var written = 0;
        var copied = 0;
        // Edits come in body order (one forward pass), so the untouched stretches are copied in order between them.
        foreach (var edit in edits)
        {
            body[copied..edit.Start].CopyTo(buffer.AsSpan(written));
            written += edit.Start - copied;
            edit.Insert.CopyTo(buffer.AsSpan(written));
            written += edit.Insert.Length;
            copied = edit.End;
        }
        body[copied..].CopyTo(buffer.AsSpan(written));
        written += body.Length - copied;
        return PooledBody.Adopt(buffer, written);
    }

    /// <summary>Replace body[Start..End) with <see cref="Insert"/> (Start == End: a plain insertion).</summary>
    private readonly record struct Edit(int Start, int End, byte[] Insert);
}
