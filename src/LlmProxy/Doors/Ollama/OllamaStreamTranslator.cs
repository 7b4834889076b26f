using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// One OpenAI chat completion stream → Ollama's NDJSON stream of /api/chat or /api/generate, one event at a time:
/// each upstream event becomes its line(s) at once, nothing is held back but tool calls, which Ollama sends whole
/// (docs/ollama.md, "Streaming"). Per event: one <see cref="Utf8JsonReader"/> pass; a text line is written from fixed
/// fragments with the upstream's string tokens copied as raw bytes, the rarer lines with one reused
/// <see cref="Utf8JsonWriter"/>.
/// <list type="bullet">
/// <item>a content or reasoning delta: <c>{"model","created_at","message":{"role":"assistant","content","thinking"?},"done":false}</c>
/// (<c>"response"</c> for generate); an empty delta writes nothing;</item>
/// <item>tool call pieces: gathered per index, written whole in one message line when the upstream finishes or ends;</item>
/// <item><see cref="OnDone"/>: the last line, <c>"done":true</c> with <c>done_reason</c>, durations and the usage counts
/// (usage may come in a chunk after the one with <c>finish_reason</c>, so the last line waits for the end);</item>
/// <item><see cref="OnError"/>: one <c>{"error":"..."}</c> line, and nothing after it.</item>
/// </list>
/// Exactly one end: after <see cref="OnDone"/> or <see cref="OnError"/> every call writes nothing.
/// </summary>
internal sealed class OllamaStreamTranslator : IDisposable
{
    /// <summary>Room for "2025-05-01T12:00:00.0000000Z" (28 bytes) with margin.</summary>
    private const int MaxTimeLength = 40;

    private readonly bool _chat;
    private readonly JsonEncodedText _model;
    private readonly byte[] _linePrefix;
    private readonly TimeProvider _time;
    private readonly long _started;
    private long? _firstToken;
    private Utf8JsonWriter? _writer;
    private OllamaStreamToolCalls? _toolCalls;
    private bool _length;

    /// <param name="chat">true for /api/chat lines (<c>message</c>), false for /api/generate lines (<c>response</c>).</param>
    /// <param name="model">The model name the client asked for, echoed on every line as Ollama does.</param>
    /// <param name="startedTimestamp">When the request arrived, from <paramref name="time"/>'s <c>GetTimestamp</c>.</param>
    /// <param name="time">The clock (tests pass a fake one); the system clock when null.</param>
    public OllamaStreamTranslator(bool chat, string model, long startedTimestamp, TimeProvider? time = null)
    {
        _chat = chat;
        // Through UTF-8 bytes so a lone surrogate in a caller's string becomes U+FFFD instead of an exception.
        _model = JsonEncodedText.Encode(Encoding.UTF8.GetBytes(model), OllamaJson.WriterOptions.Encoder);
        _linePrefix = [.. "{\"model\":\""u8, .. _model.EncodedUtf8Bytes, .. "\",\"created_at\":\""u8];
        _time = time ?? TimeProvider.System;
        _started = startedTimestamp;
    }

    /// <summary>True once the stream has ended (done line or error line written).</summary>
    public bool IsFinished { get; private set; }

    /// <summary>Prompt tokens from the upstream's usage, when it sent any.</summary>
    public long? PromptTokens { get; private set; }

    /// <summary>Completion tokens from the upstream's usage, when it sent any.</summary>
    public long? CompletionTokens { get; private set; }

    /// <summary>
    /// Translates one event's JSON (the <c>data:</c> payload of a <c>chat.completion.chunk</c>). An event that is
    /// not JSON is skipped; an <c>{"error":...}</c> event ends the stream as <see cref="OnError"/> does.
    /// </summary>
    public void OnChunk(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        if (IsFinished)
        {
            return;
        }
        var delta = default(Delta);
        try
        {
            Read(chunk, ref delta);
        }
        catch (JsonException)
        {
            return;
        }
        if (delta.Error is not null)
        {
            OnError(delta.Error, output);
            return;
        }
        var hasText = IsText(delta.Content) || IsText(delta.Reasoning);
        if ((hasText || delta.HadToolCalls) && _firstToken is null)
        {
            _firstToken = _time.GetTimestamp();
        }
        if (hasText)
        {
            WriteTextLine(chunk, delta, output);
        }
        if (delta.Finished && _toolCalls is { HasCalls: true })
        {
            WriteToolCallLine(output);
        }
    }

    /// <summary>The upstream ended (<c>[DONE]</c> or end of body): tool calls still held, then the last line.</summary>
    public void OnDone(IBufferWriter<byte> output)
    {
        if (IsFinished)
        {
            return;
        }
        if (_toolCalls is { HasCalls: true })
        {
            WriteToolCallLine(output);
        }
        IsFinished = true;
        var ended = _time.GetTimestamp();
        var total = _time.GetElapsedTime(_started, ended);
        var timings = OllamaTimings.Streamed(total, _firstToken is { } first ? _time.GetElapsedTime(_started, first) : null);
        var writer = Begin(output);
        if (_chat)
        {
            writer.WritePropertyName(OllamaWire.Message);
            writer.WriteStartObject();
            writer.WriteString(OllamaWire.Role, OllamaWire.Assistant);
            writer.WriteString(OllamaWire.Content, ""u8);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteString(OllamaWire.Response, ""u8);
        }
        writer.WriteBoolean(OllamaWire.Done, true);
        writer.WriteString(OllamaWire.DoneReason, OllamaWire.DoneReasonFor(_length));
        OllamaCompletionTranslator.WriteMetrics(writer, timings, PromptTokens, CompletionTokens);
        End(writer, output);
    }

    /// <summary>The stream failed after it started: one <c>{"error":"..."}</c> line ends it (held tool calls are dropped).</summary>
    public void OnError(string message, IBufferWriter<byte> output)
    {
        if (IsFinished)
        {
            return;
        }
        IsFinished = true;
        var writer = Writer(output);
        writer.WriteStartObject();
        writer.WriteString(OllamaWire.Error, message);
        End(writer, output);
    }

    /// <summary>Releases the line writer (every line was flushed when it was written).</summary>
    public void Dispose() => _writer?.Dispose();

    /// <summary>
    /// Writes a content/thinking line from fixed fragments: the prefix with the model encoded once per stream, the time,
    /// and the upstream's string tokens as raw bytes. This is the line of every token, so it skips the writer's per-call
    /// bookkeeping (docs/BENCHMARKS.md, "Ollama stream translation"); a token with invalid UTF-8 takes the writer.
    /// </summary>
    private void WriteTextLine(ReadOnlySpan<byte> chunk, in Delta delta, IBufferWriter<byte> output)
    {
        var content = delta.Content.IsPresent ? delta.Content.Bytes(chunk) : "\"\""u8;
        var reasoning = IsText(delta.Reasoning) ? delta.Reasoning.Bytes(chunk) : default;
        if (!Utf8.IsValid(content) || !Utf8.IsValid(reasoning))
        {
            WriteTextLineWithWriter(chunk, delta, output);
            return;
        }
        var open = _chat ? "\",\"message\":{\"role\":\"assistant\",\"content\":"u8 : "\",\"response\":"u8;
        var thinking = ",\"thinking\":"u8;
        var close = _chat ? "},\"done\":false}\n"u8 : ",\"done\":false}\n"u8;
        var length = _linePrefix.Length + MaxTimeLength + open.Length + content.Length + close.Length
            + (reasoning.IsEmpty ? 0 : thinking.Length + reasoning.Length);
        var line = output.GetSpan(length);
        var at = Append(line, 0, _linePrefix);
        at += FormatTime(line[at..]);
        at = Append(line, at, open);
        at = Append(line, at, content);
        if (!reasoning.IsEmpty)
        {
            at = Append(line, at, thinking);
            at = Append(line, at, reasoning);
        }
        at = Append(line, at, close);
        output.Advance(at);
    }

    private int FormatTime(Span<byte> into)
    {
        _time.GetUtcNow().UtcDateTime.TryFormat(into, out var written, "O", System.Globalization.CultureInfo.InvariantCulture);
        return written;
    }

    private static int Append(Span<byte> line, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(line[at..]);
        return at + bytes.Length;
    }

    private void WriteTextLineWithWriter(ReadOnlySpan<byte> chunk, in Delta delta, IBufferWriter<byte> output)
    {
        var writer = Begin(output);
        if (_chat)
        {
            writer.WritePropertyName(OllamaWire.Message);
            writer.WriteStartObject();
            writer.WriteString(OllamaWire.Role, OllamaWire.Assistant);
            WriteText(writer, OllamaWire.Content, chunk, delta.Content);
            if (IsText(delta.Reasoning))
            {
                WriteText(writer, OllamaWire.Thinking, chunk, delta.Reasoning);
            }
            writer.WriteEndObject();
        }
        else
        {
            WriteText(writer, OllamaWire.Response, chunk, delta.Content);
            if (IsText(delta.Reasoning))
            {
                WriteText(writer, OllamaWire.Thinking, chunk, delta.Reasoning);
            }
        }
        writer.WriteBoolean(OllamaWire.Done, false);
        End(writer, output);
    }

    private void WriteToolCallLine(IBufferWriter<byte> output)
    {
        if (!_chat)
        {
            // /api/generate has no tool calls; a server that sends some anyway is ignored.
            _toolCalls = null;
            return;
        }
        var writer = Begin(output);
        writer.WritePropertyName(OllamaWire.Message);
        writer.WriteStartObject();
        writer.WriteString(OllamaWire.Role, OllamaWire.Assistant);
        writer.WriteString(OllamaWire.Content, ""u8);
        _toolCalls!.WriteAndClear(writer);
        writer.WriteEndObject();
        writer.WriteBoolean(OllamaWire.Done, false);
        End(writer, output);
    }

    /// <summary>Starts a line: the reused writer pointed at <paramref name="output"/>, <c>{"model","created_at"</c> written.</summary>
    private Utf8JsonWriter Begin(IBufferWriter<byte> output)
    {
        var writer = Writer(output);
        writer.WriteStartObject();
        writer.WriteString(OllamaWire.Model, _model);
        OllamaWire.WriteCreatedAt(writer, _time.GetUtcNow());
        return writer;
    }

    private Utf8JsonWriter Writer(IBufferWriter<byte> output)
    {
        // One writer per stream, reset per line: each line is a new JSON document (a writer would put a comma between
        // two root values otherwise).
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(output, OllamaJson.LineWriterOptions);
        }
        else
        {
            _writer.Reset(output);
        }
        return _writer;
    }

    private static void End(Utf8JsonWriter writer, IBufferWriter<byte> output)
    {
        writer.WriteEndObject();
        writer.Flush();
        OllamaJson.WriteNewLine(output);
    }

    private static void WriteText(Utf8JsonWriter writer, JsonEncodedText name, ReadOnlySpan<byte> chunk, OllamaSegment text)
    {
        writer.WritePropertyName(name);
        if (text.IsPresent)
        {
            OllamaJson.CopyStringToken(writer, text.Bytes(chunk));
        }
        else
        {
            writer.WriteStringValue(""u8);
        }
    }

    private static bool IsText(OllamaSegment segment) => segment.IsPresent && !segment.IsEmptyString;

    private void Read(ReadOnlySpan<byte> chunk, ref Delta delta)
    {
        var reader = new Utf8JsonReader(chunk, OllamaJson.ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (OllamaJson.TextEquals(ref reader, "choices"u8))
            {
                reader.Read();
                ReadChoices(ref reader, chunk, ref delta);
            }
            else if (OllamaJson.TextEquals(ref reader, "usage"u8))
            {
                reader.Read();
                OllamaUsage.Read(ref reader, out var prompt, out var completion);
                // Some servers repeat usage on every chunk: the last one counts.
                PromptTokens = prompt ?? PromptTokens;
                CompletionTokens = completion ?? CompletionTokens;
            }
            else if (OllamaJson.TextEquals(ref reader, "error"u8))
            {
                reader.Read();
                delta.Error = OllamaUpstreamError.Message(ref reader, chunk);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    /// <summary>The first choice only: Ollama has no <c>n</c>, so a client of this door never asks for more.</summary>
    private void ReadChoices(ref Utf8JsonReader reader, ReadOnlySpan<byte> chunk, ref Delta delta)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }
        var first = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!first || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            first = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (OllamaJson.TextEquals(ref reader, "delta"u8))
                {
                    reader.Read();
                    ReadDelta(ref reader, chunk, ref delta);
                }
                else if (OllamaJson.TextEquals(ref reader, "finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        delta.Finished = true;
                        _length = OllamaJson.TextEquals(ref reader, "length"u8);
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
    }

    private void ReadDelta(ref Utf8JsonReader reader, ReadOnlySpan<byte> chunk, ref Delta delta)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (OllamaJson.TextEquals(ref reader, "content"u8))
            {
                reader.Read();
                delta.Content = StringSegment(ref reader, chunk);
            }
            else if (OllamaJson.TextEquals(ref reader, "reasoning_content"u8) || OllamaJson.TextEquals(ref reader, "reasoning"u8))
            {
                reader.Read();
                var reasoning = StringSegment(ref reader, chunk);
                if (reasoning.IsPresent)
                {
                    delta.Reasoning = reasoning;
                }
            }
            else if (OllamaJson.TextEquals(ref reader, "tool_calls"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    _toolCalls ??= new OllamaStreamToolCalls();
                    _toolCalls.Apply(ref reader, chunk);
                    delta.HadToolCalls = true;
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static OllamaSegment StringSegment(ref Utf8JsonReader reader, ReadOnlySpan<byte> chunk)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return OllamaSegment.Of(ref reader, chunk);
        }
        reader.Skip();
        return default;
    }

    /// <summary>What one event carried.</summary>
    private struct Delta
    {
        public OllamaSegment Content;
        public OllamaSegment Reasoning;
        public bool HadToolCalls;
        public bool Finished;
        public string? Error;
    }
}
