using System.Buffers;
using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// Tool calls of one stream, assembled from OpenAI's pieces: the first piece of a call carries its <c>index</c>,
/// <c>id</c> and <c>function.name</c>, later pieces add text to <c>function.arguments</c>, and one chunk may carry
/// pieces of several calls. Ollama sends each call whole, arguments as an object, so the calls are kept until the
/// upstream says it finished (or the stream ends) and written then. A piece without <c>index</c> (some servers omit
/// it) continues the latest call unless it brings a new id.
/// </summary>
internal sealed class OllamaStreamToolCalls
{
    private readonly List<Call> _calls = [];

    /// <summary>True when at least one call has a name, i.e. there is something to write.</summary>
    public bool HasCalls => _calls.Exists(c => c.Name.WrittenCount > 0);

    /// <summary>Applies the pieces of a delta's <c>tool_calls</c> array; the reader is on its start and is left on its end.</summary>
    public void Apply(ref Utf8JsonReader reader, ReadOnlySpan<byte> chunk)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            ApplyPiece(ref reader, chunk);
        }
    }

    /// <summary>Writes <c>"tool_calls":[...]</c> with every named call, in index order, then forgets them.</summary>
    public void WriteAndClear(Utf8JsonWriter writer)
    {
        _calls.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        writer.WritePropertyName(OllamaWire.ToolCalls);
        writer.WriteStartArray();
        var position = 0;
        foreach (var call in _calls)
        {
            if (call.Name.WrittenCount > 0)
            {
                OllamaToolCallOutput.Write(writer, position++, call.Id.WrittenSpan, call.Name.WrittenSpan, call.Arguments.WrittenSpan);
            }
        }
        writer.WriteEndArray();
        _calls.Clear();
    }

    private void ApplyPiece(ref Utf8JsonReader reader, ReadOnlySpan<byte> chunk)
    {
        int? index = null;
        OllamaSegment id = default, name = default, arguments = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (OllamaJson.TextEquals(ref reader, "index"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var i))
                {
                    index = i;
                }
            }
            else if (OllamaJson.TextEquals(ref reader, "id"u8))
            {
                reader.Read();
                id = reader.TokenType == JsonTokenType.String && !reader.ValueSpan.IsEmpty ? OllamaSegment.Of(ref reader, chunk) : default;
            }
            else if (OllamaJson.TextEquals(ref reader, "function"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isName = OllamaJson.TextEquals(ref reader, "name"u8);
                    var isArguments = !isName && OllamaJson.TextEquals(ref reader, "arguments"u8);
                    reader.Read();
                    if (isName && reader.TokenType == JsonTokenType.String)
                    {
                        name = OllamaSegment.Of(ref reader, chunk);
                    }
                    else if (isArguments && reader.TokenType is JsonTokenType.String or JsonTokenType.StartObject)
                    {
                        arguments = OllamaSegment.Of(ref reader, chunk);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        var call = Find(index, id, chunk);
        if (id.IsPresent && call.Id.WrittenCount == 0)
        {
            AppendText(chunk, id, call.Id);
        }
        if (name.IsPresent)
        {
            AppendText(chunk, name, call.Name);
        }
        if (arguments.IsPresent)
        {
            AppendText(chunk, arguments, call.Arguments);
        }
    }

    private Call Find(int? index, OllamaSegment id, ReadOnlySpan<byte> chunk)
    {
        if (index is { } i)
        {
            var byIndex = _calls.Find(c => c.Index == i);
            if (byIndex is not null)
            {
                return byIndex;
            }
        }
        else if (_calls.Count > 0)
        {
            var latest = _calls[^1];
            if (!id.IsPresent || latest.Id.WrittenCount == 0 || IdEquals(latest, id, chunk))
            {
                return latest;
            }
        }
        var call = new Call(index ?? (_calls.Count == 0 ? 0 : _calls[^1].Index + 1));
        _calls.Add(call);
        return call;
    }

    private static bool IdEquals(Call call, OllamaSegment id, ReadOnlySpan<byte> chunk)
    {
        var reader = id.Reader(chunk);
        return OllamaJson.TextEquals(ref reader, call.Id.WrittenSpan);
    }

    private static void AppendText(ReadOnlySpan<byte> chunk, OllamaSegment segment, IBufferWriter<byte> into)
    {
        var reader = segment.Reader(chunk);
        OllamaToolCallOutput.AppendValueText(ref reader, segment.Bytes(chunk), into);
    }

    private sealed class Call(int index)
    {
        public int Index { get; } = index;
        public ArrayBufferWriter<byte> Id { get; } = new(32);
        public ArrayBufferWriter<byte> Name { get; } = new(32);
        public ArrayBufferWriter<byte> Arguments { get; } = new(128);
    }
}
