using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>Why an Ollama image could not become an OpenAI image part.</summary>
internal enum OllamaImageProblem
{
    None,
    NotAString,
    NotBase64,
    UnknownFormat,
}

/// <summary>
/// Ollama sends images as bare base64 strings (<c>images: ["iVBORw0..."]</c>); OpenAI wants
/// <c>{"type":"image_url","image_url":{"url":"data:image/png;base64,..."}}</c>. The media type is read from the
/// image's first bytes (its magic number), since Ollama carries none. docs/ollama.md, "Images".
/// </summary>
internal static class OllamaImages
{
    /// <summary>Sixteen base64 characters decode to the twelve bytes WebP needs ("RIFF", size, "WEBP").</summary>
    private const int SniffChars = 16;

    /// <summary>
    /// Writes the content of a message that has images: a text part (when there is text) and one image part per image.
    /// On a bad image it stops and names its index; the caller words the 400.
    /// </summary>
    public static OllamaImageProblem WriteContentParts(
        Utf8JsonWriter writer, ReadOnlySpan<byte> body, OllamaSegment content, OllamaSegment images, out int badIndex)
    {
        badIndex = -1;
        writer.WriteStartArray();
        if (content.IsPresent && !content.IsEmptyString)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "text"u8);
            writer.WritePropertyName("text"u8);
            var text = content.Reader(body);
            OllamaJson.CopyString(writer, ref text, content.Bytes(body));
            writer.WriteEndObject();
        }
        var reader = images.Reader(body);
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var problem = reader.TokenType == JsonTokenType.String ? WriteImagePart(writer, ref reader) : OllamaImageProblem.NotAString;
            if (problem != OllamaImageProblem.None)
            {
                badIndex = index;
                return problem;
            }
            index++;
        }
        writer.WriteEndArray();
        return OllamaImageProblem.None;
    }

    /// <summary>True when <paramref name="images"/> is an array with at least one element.</summary>
    public static bool HasAny(ReadOnlySpan<byte> body, OllamaSegment images)
    {
        if (!images.IsPresent || images.Type != JsonTokenType.StartArray)
        {
            return false;
        }
        var reader = images.Reader(body);
        return reader.Read() && reader.TokenType != JsonTokenType.EndArray;
    }

    /// <summary>The media type of an image from its first bytes, or null when it is none of the four web formats.</summary>
    public static string? SniffMediaType(ReadOnlySpan<byte> head) => head switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => "image/png",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [(byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'7' or (byte)'9', (byte)'a', ..] => "image/gif",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "image/webp",
        _ => null,
    };

    /// <summary>
    /// Writes one <c>image_url</c> part for the current string. Line breaks inside the base64 (MIME-style wrapping,
    /// which Go's decoder in Ollama skips) are dropped. A value that already is a data URL is kept as it is.
    /// </summary>
    private static OllamaImageProblem WriteImagePart(Utf8JsonWriter writer, ref Utf8JsonReader reader)
    {
        // The base64 text is copied once, behind room for the longest prefix, so the URL is one contiguous value.
        const int Room = 32;
        var escapedLength = reader.ValueSpan.Length;
        var rented = ArrayPool<byte>.Shared.Rent(Room + escapedLength + 1);
        try
        {
            var data = rented.AsSpan(Room, escapedLength);
            int length;
            if (!reader.ValueIsEscaped)
            {
                reader.ValueSpan.CopyTo(data);
                length = escapedLength;
            }
            else
            {
                // Base64 has nothing to escape, but a JSON encoder may still have written "/" as "\/".
                try
                {
                    length = reader.CopyString(data);
                }
                catch (InvalidOperationException)
                {
                    return OllamaImageProblem.NotBase64;
                }
            }
            data = data[..RemoveWhitespace(data[..length])];
            writer.WriteStartObject();
            writer.WriteString("type"u8, "image_url"u8);
            writer.WritePropertyName("image_url"u8);
            writer.WriteStartObject();
            writer.WritePropertyName("url"u8);
            if (data.StartsWith("data:image/"u8) && data.IndexOf(";base64,"u8) > 0)
            {
                writer.WriteStringValue(data);
            }
            else
            {
                if (data.IsEmpty || !Base64.IsValid(data))
                {
                    return OllamaImageProblem.NotBase64;
                }
                var prefix = Prefix(data);
                if (prefix.IsEmpty)
                {
                    return OllamaImageProblem.UnknownFormat;
                }
                prefix.CopyTo(rented.AsSpan(Room - prefix.Length));
                rented[Room + data.Length] = (byte)'"';
                // "data:<mime>;base64," plus base64 characters: nothing in it needs a JSON escape.
                writer.WriteRawValue(rented.AsSpan(Room - prefix.Length, prefix.Length + data.Length + 1), skipInputValidation: true);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
            return OllamaImageProblem.None;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The opening quote and <c>data:&lt;mime&gt;;base64,</c> for the image, or empty for an unknown format.</summary>
    private static ReadOnlySpan<byte> Prefix(ReadOnlySpan<byte> base64)
    {
        Span<byte> head = stackalloc byte[12];
        var sniff = base64[..Math.Min(SniffChars, base64.Length)];
        Base64.DecodeFromUtf8(sniff, head, out _, out var decoded, isFinalBlock: sniff.Length == base64.Length);
        return SniffMediaType(head[..decoded]) switch
        {
            "image/png" => "\"data:image/png;base64,"u8,
            "image/jpeg" => "\"data:image/jpeg;base64,"u8,
            "image/gif" => "\"data:image/gif;base64,"u8,
            "image/webp" => "\"data:image/webp;base64,"u8,
            _ => default,
        };
    }

    private static int RemoveWhitespace(Span<byte> text)
    {
        var length = 0;
        foreach (var b in text)
        {
            if (b is not ((byte)'\r' or (byte)'\n' or (byte)' ' or (byte)'\t'))
            {
                text[length++] = b;
            }
        }
        return length;
    }
}
