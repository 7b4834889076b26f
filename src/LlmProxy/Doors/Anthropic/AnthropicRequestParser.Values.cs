using System.Globalization;
using System.Text.Json;

namespace LlmProxy.Doors.Anthropic;

/// <summary>Scalars, captured slices, and the lone-surrogate check every string and name passes.</summary>
internal static partial class AnthropicRequestParser
{
    private static JsonSlice ReadInteger(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field, long minimum)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return default;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
        {
            throw path.Problem(field, "Input should be a valid integer");
        }
        if (value < minimum)
        {
            throw path.Problem(field, string.Create(CultureInfo.InvariantCulture, $"Input should be greater than or equal to {minimum}"));
        }
        return new JsonSlice((int)reader.TokenStartIndex, reader.ValueSpan.Length);
    }

    private static JsonSlice ReadNumber(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return default;
        }
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw path.Problem(field, "Input should be a valid number");
        }
        return new JsonSlice((int)reader.TokenStartIndex, reader.ValueSpan.Length);
    }

    private static bool ReadBoolean(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False or JsonTokenType.Null => false,
        _ => throw path.Problem(field, "Input should be a valid boolean"),
    };

    /// <summary>A value and the kind of its token; <see cref="JsonTokenType.None"/> when the field was absent.</summary>
    private readonly record struct Field(JsonSlice Slice, JsonTokenType Kind)
    {
        public JsonSlice Require(RequestPath path, ReadOnlySpan<byte> name, JsonTokenType kind) =>
            Kind == kind ? Slice
            : Kind is JsonTokenType.None or JsonTokenType.Null ? throw path.Problem(name, "Field required")
            : throw path.Problem(name, kind == JsonTokenType.String ? "Input should be a valid string" : "Input should be a valid dictionary");
    }

    /// <summary>The slice of the value the reader is on (a container is read to its end), its escapes checked.</summary>
    private static Field Capture(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field)
    {
        var kind = reader.TokenType;
        var start = (int)reader.TokenStartIndex;
        switch (kind)
        {
            case JsonTokenType.String:
                return new Field(StringSlice(ref reader, path, field), kind);
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                SkipChecked(ref reader, path, field);
                return new Field(new JsonSlice(start, (int)reader.BytesConsumed - start), kind);
            case JsonTokenType.Null:
                return new Field(default, kind);
            default:
                return new Field(new JsonSlice(start, reader.ValueSpan.Length), kind);
        }
    }

    /// <summary>The string token the reader is on, quotes included (for a span, TokenStartIndex is the opening quote).</summary>
    private static JsonSlice StringSlice(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field)
    {
        CheckToken(ref reader, path, field);
        return new JsonSlice((int)reader.TokenStartIndex, reader.ValueSpan.Length + 2);
    }

    /// <summary>Skips the value the reader is on, checking every string and property name inside it.</summary>
    private static void SkipChecked(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            CheckToken(ref reader, path, field);
            return;
        }
        // The matching end token has the start token's depth; everything inside is deeper.
        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            CheckToken(ref reader, path, field);
        }
    }

    private static void CheckToken(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field)
    {
        if (reader.ValueIsEscaped
            && reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName
            && JsonEscapes.HasLoneSurrogate(reader.ValueSpan))
        {
            throw path.Problem(field, "Input has an unpaired UTF-16 surrogate escape (\\ud800-\\udfff); it is not Unicode text");
        }
    }
}
