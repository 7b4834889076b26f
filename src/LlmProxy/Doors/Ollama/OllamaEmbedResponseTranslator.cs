using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// OpenAI's embeddings answer (<c>{"data":[{"embedding":[...],"index":0}],"usage":{...}}</c>) → Ollama's
/// <c>/api/embed</c> answer (<c>{"model","embeddings":[[...]],"total_duration","load_duration","prompt_eval_count"}</c>)
/// or <c>/api/embeddings</c> answer (<c>{"embedding":[...]}</c>). The vectors are copied as the upstream's number bytes,
/// in <c>index</c> order: no parse to double and print again, so every digit the upstream sent arrives. A vector sent as
/// base64 (float32, little-endian) is decoded. Vectors are not normalised again (docs/ollama.md, "Embeddings").
/// </summary>
internal static class OllamaEmbedResponseTranslator
{
    public static OllamaAnswer WriteEmbed(ReadOnlySpan<byte> response, string model, OllamaTimings timings, IBufferWriter<byte> output)
    {
        if (!TryRead(response, out var vectors, out var promptTokens))
        {
            return OllamaAnswer.NotTranslated;
        }
        using var writer = new Utf8JsonWriter(output, OllamaJson.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString(OllamaWire.Model, model);
        writer.WritePropertyName("embeddings"u8);
        writer.WriteStartArray();
        foreach (var vector in vectors)
        {
            WriteVector(writer, response, vector.Segment);
        }
        writer.WriteEndArray();
        writer.WriteNumber(OllamaWire.TotalDuration, timings.TotalNs);
        writer.WriteNumber(OllamaWire.LoadDuration, timings.LoadNs);
        if (promptTokens is { } prompt)
        {
            writer.WriteNumber(OllamaWire.PromptEvalCount, prompt);
        }
        writer.WriteEndObject();
        writer.Flush();
        return new OllamaAnswer(true, promptTokens, null);
    }

    public static OllamaAnswer WriteEmbeddings(ReadOnlySpan<byte> response, IBufferWriter<byte> output)
    {
        if (!TryRead(response, out var vectors, out var promptTokens) || vectors.Count == 0)
        {
            return OllamaAnswer.NotTranslated;
        }
        using var writer = new Utf8JsonWriter(output, OllamaJson.WriterOptions);
        writer.WriteStartObject();
        writer.WritePropertyName("embedding"u8);
        WriteVector(writer, response, vectors[0].Segment);
        writer.WriteEndObject();
        writer.Flush();
        return new OllamaAnswer(true, promptTokens, null);
    }

    private static void WriteVector(Utf8JsonWriter writer, ReadOnlySpan<byte> response, OllamaSegment vector)
    {
        if (vector.Type == JsonTokenType.StartArray)
        {
            writer.WriteRawValue(vector.Bytes(response), skipInputValidation: true);
            return;
        }
        var reader = vector.Reader(response);
        var base64 = new ArrayBufferWriter<byte>(reader.ValueSpan.Length + 1);
        OllamaJson.AppendUnescaped(ref reader, vector.Bytes(response), base64);
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(base64.WrittenCount)];
        Base64.DecodeFromUtf8(base64.WrittenSpan, bytes, out _, out var length);
        writer.WriteStartArray();
        for (var i = 0; i + 4 <= length; i += 4)
        {
            writer.WriteNumberValue(BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i, 4)));
        }
        writer.WriteEndArray();
    }

    private static bool TryRead(ReadOnlySpan<byte> response, out List<Vector> vectors, out long? promptTokens)
    {
        vectors = [];
        promptTokens = null;
        try
        {
            var reader = new Utf8JsonReader(response, OllamaJson.ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            var sawData = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (OllamaJson.TextEquals(ref reader, "data"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray || !ReadData(ref reader, response, vectors))
                    {
                        return false;
                    }
                    sawData = true;
                }
                else if (OllamaJson.TextEquals(ref reader, "usage"u8))
                {
                    reader.Read();
                    OllamaUsage.Read(ref reader, out promptTokens, out _);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            vectors.Sort(static (a, b) => a.Index.CompareTo(b.Index));
            return sawData;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Reads the <c>data</c> items; false when one has no vector, or a vector holds anything but numbers.</summary>
    private static bool ReadData(ref Utf8JsonReader reader, ReadOnlySpan<byte> response, List<Vector> vectors)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            var index = vectors.Count;
            OllamaSegment embedding = default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (OllamaJson.TextEquals(ref reader, "embedding"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        var scan = reader;
                        while (scan.Read() && scan.TokenType != JsonTokenType.EndArray)
                        {
                            if (scan.TokenType != JsonTokenType.Number)
                            {
                                return false;
                            }
                        }
                    }
                    else if (reader.TokenType != JsonTokenType.String)
                    {
                        return false;
                    }
                    embedding = OllamaSegment.Of(ref reader, response);
                }
                else if (OllamaJson.TextEquals(ref reader, "index"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var i))
                    {
                        index = i;
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (!embedding.IsPresent)
            {
                return false;
            }
            vectors.Add(new Vector(index, embedding));
        }
        return true;
    }

    private readonly record struct Vector(int Index, OllamaSegment Segment);
}
