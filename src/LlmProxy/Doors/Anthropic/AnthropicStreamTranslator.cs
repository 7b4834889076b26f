using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// Turns one upstream OpenAI chat stream into Anthropic's event sequence, event by event (docs/anthropic.md,
/// "Streaming"): <c>message_start</c> with the first upstream chunk; a content block per run of reasoning, text or one
/// tool call (<c>content_block_start</c>, deltas, <c>content_block_stop</c>); at the end one <c>message_delta</c>
/// (stop reason and usage: the usage chunk may follow the finish_reason chunk, so it waits for [DONE] or the end of the
/// upstream stream) and one <c>message_stop</c>; or an <c>error</c> event, after which nothing is written.
/// One instance per stream, not thread-safe. Each chunk is read with one <see cref="Utf8JsonReader"/> pass and its
/// text, reasoning and argument pieces are copied as the upstream escaped them; a chunk allocates nothing.
/// </summary>
internal sealed class AnthropicStreamTranslator
{
    private enum BlockKind : byte
    {
        None,
        Text,
        Thinking,
        Tool,
    }

    private readonly byte[] _messageId;
    private readonly byte[] _model;
    private readonly bool _includeThinking;
    private readonly int _inputTokensHint;
    private readonly OpenAiReply _reply = new();

    private bool _started;
    private bool _finished;
    private long _events;

    private BlockKind _open;
    private int _openIndex;
    private int _nextIndex;

    // The open tool call: the upstream's index for it (its key), its id, and whether its content_block_start is out
    // (it waits for the name; argument pieces that come before the name wait in _pendingArguments).
    private int _toolKey;
    private byte[] _toolId = new byte[64];
    private int _toolIdLength;
    private bool _toolIdFromUpstream;
    private bool _toolStarted;
    private ArrayBufferWriter<byte>? _pendingArguments;
    private List<int>? _closedToolKeys;
    private int _toolCalls;

    private FinishReason _finish;
    private byte[]? _stopSequence;
    private int _promptTokens = -1;
    private int _completionTokens = -1;

    public AnthropicStreamTranslator(AnthropicReplyOptions reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        _messageId = Escape(reply.MessageId);
        _model = Escape(reply.Model);
        _includeThinking = reply.IncludeThinking;
        _inputTokensHint = Math.Max(0, reply.InputTokens);
    }

    /// <summary>Something was written (so the response has started).</summary>
    public bool Started => _started || _finished;

    /// <summary>message_stop or an error event was written: the stream is over.</summary>
    public bool Finished => _finished;

    /// <summary>What the upstream reported (for the token metrics and the request log).</summary>
    public TokenUsage Usage => new(_promptTokens >= 0 ? _promptTokens : null, _completionTokens >= 0 ? _completionTokens : null);

    /// <summary>Number of events written so far.</summary>
    public long EventsWritten => _events;

    /// <summary>
    /// Translates one upstream <c>data:</c> payload (a chat.completion.chunk). Returns whether anything was written:
    /// empty deltas and usage-only chunks update the state and write nothing, so the door need not flush. An empty
    /// payload (a comment or keep-alive event) is ignored; <c>[DONE]</c> is the same as <see cref="OnDone"/>.
    /// </summary>
    public bool OnChunk(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        if (_finished)
        {
            return false;
        }
        var before = _events;
        chunk = chunk.Trim(" \t\r\n"u8);
        if (chunk.IsEmpty)
        {
            return false;
        }
        if (chunk.SequenceEqual("[DONE]"u8))
        {
            OnDone(output);
            return true;
        }
        _reply.Reset();
        try
        {
            OpenAiReplyReader.Read(chunk, _reply);
        }
        catch (JsonException)
        {
            OnError("The upstream model server sent a stream event that is not valid JSON", AnthropicErrors.Api, output);
            return true;
        }
        if (_reply.IsError)
        {
            // Normally the relay has classified an error event already; this one hid in a data event.
            WriteUpstreamError(chunk, output);
            return true;
        }

        EnsureStarted(output);
        if (_reply.PromptTokens >= 0)
        {
            _promptTokens = _reply.PromptTokens;
        }
        if (_reply.CompletionTokens >= 0)
        {
            _completionTokens = _reply.CompletionTokens;
        }
        if (!_reply.HasChoice)
        {
            return _events != before;
        }

        if (_includeThinking && _reply.Reasoning.IsPresent)
        {
            var thinking = _reply.Reasoning.StringContent(chunk);
            if (!thinking.IsEmpty)
            {
                Open(BlockKind.Thinking, output);
                AnthropicEvents.ThinkingDelta(output, _openIndex, thinking);
                _events++;
            }
        }
        if (_reply.Content.IsPresent)
        {
            var text = _reply.Content.StringContent(chunk);
            if (!text.IsEmpty)
            {
                Open(BlockKind.Text, output);
                AnthropicEvents.TextDelta(output, _openIndex, text);
                _events++;
            }
        }
        foreach (var piece in _reply.ToolCalls)
        {
            OnToolPiece(piece, chunk, output);
        }
        if (_reply.Finish != FinishReason.None)
        {
            _finish = _reply.Finish;
            if (_reply.StopSequence.IsPresent)
            {
                _stopSequence = _reply.StopSequence.StringContent(chunk).ToArray();
            }
            // The block is complete: closing it now lets a client start on a tool call before the usage chunk comes.
            Close(output);
        }
        return _events != before;
    }

    /// <summary>The upstream stream ended ([DONE], or closed cleanly without it): the stop reason, usage and message_stop.</summary>
    public void OnDone(IBufferWriter<byte> output)
    {
        if (_finished)
        {
            return;
        }
        EnsureStarted(output);
        Close(output);
        var stopReason = AnthropicStopReason.For(_finish, _toolCalls > 0, _stopSequence is not null);
        AnthropicEvents.MessageDelta(
            output,
            stopReason,
            AnthropicStopReason.IsStopSequence(stopReason),
            _stopSequence,
            _promptTokens,
            Math.Max(0, _completionTokens));
        AnthropicEvents.MessageStop(output);
        _events += 2;
        _finished = true;
    }

    /// <summary>
    /// The stream failed (an upstream error event, a lost connection, a silence): one error event, then nothing. Before
    /// anything was written the door should answer an HTTP error instead (<see cref="Started"/> is false then).
    /// </summary>
    public void OnError(string message, string errorType, IBufferWriter<byte> output)
    {
        if (_finished)
        {
            return;
        }
        AnthropicEvents.Error(output, errorType, message);
        _events++;
        _finished = true;
    }

    private void WriteUpstreamError(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        var message = _reply.ErrorMessage.IsPresent
            ? _reply.ErrorMessage.StringContent(chunk)
            : "The upstream model server reported an error"u8;
        AnthropicEvents.Error(output, "api_error"u8, message);
        _events++;
        _finished = true;
    }

    private void EnsureStarted(IBufferWriter<byte> output)
    {
        if (!_started)
        {
            AnthropicEvents.MessageStart(output, _messageId, _model, _inputTokensHint);
            _events++;
            _started = true;
        }
    }

    /// <summary>Makes a text or thinking block the open one, closing whatever else is open.</summary>
    private void Open(BlockKind kind, IBufferWriter<byte> output)
    {
        if (_open == kind)
        {
            return;
        }
        Close(output);
        _open = kind;
        _openIndex = _nextIndex++;
        if (kind == BlockKind.Text)
        {
            AnthropicEvents.TextBlockStart(output, _openIndex);
        }
        else
        {
            AnthropicEvents.ThinkingBlockStart(output, _openIndex);
        }
        _events++;
    }

    private void Close(IBufferWriter<byte> output)
    {
        if (_open == BlockKind.None)
        {
            return;
        }
        if (_open == BlockKind.Tool)
        {
            // A call whose name never came still gets its block (with an empty name) so its arguments are not lost.
            StartToolBlock(default, output);
            (_closedToolKeys ??= []).Add(_toolKey);
        }
        AnthropicEvents.BlockStop(output, _openIndex);
        _events++;
        _open = BlockKind.None;
    }

    /// <summary>
    /// One piece of a tool call. Servers stream calls one after another, each by its <c>index</c>: the id and name in
    /// the first piece and the arguments in later ones (vLLM, llama.cpp, LM Studio), or each call whole in one piece and
    /// several calls in one chunk (Ollama). A new index, or a new id on the open index (servers that number every call
    /// 0, or send no index), starts the next block. A piece for a call whose block was closed already cannot be placed
    /// any more (Anthropic's blocks are sequential) and is dropped; no known server sends one.
    /// </summary>
    private void OnToolPiece(in ToolCallPiece piece, ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        var id = piece.Id.IsPresent ? piece.Id.StringContent(chunk) : default;
        var continues = _open == BlockKind.Tool && (piece.Index < 0 || piece.Index == _toolKey);
        if (continues && !id.IsEmpty && !id.SequenceEqual(_toolId.AsSpan(0, _toolIdLength)))
        {
            if (!_toolIdFromUpstream && !_toolStarted)
            {
                // The id came after the first piece, before the block went out: it is this call's.
                SetToolId(id);
                _toolIdFromUpstream = true;
            }
            else
            {
                continues = false;
            }
        }
        if (!continues)
        {
            if (piece.Index >= 0 && id.IsEmpty && _closedToolKeys is not null && _closedToolKeys.Contains(piece.Index))
            {
                return;
            }
            Close(output);
            _open = BlockKind.Tool;
            _openIndex = _nextIndex++;
            _toolKey = piece.Index >= 0 ? piece.Index : _toolCalls;
            _toolCalls++;
            _toolStarted = false;
            _pendingArguments?.ResetWrittenCount();
            _toolIdFromUpstream = !id.IsEmpty;
            SetToolId(_toolIdFromUpstream ? id : Encoding.ASCII.GetBytes(AnthropicIds.NewToolUseId()));
        }

        if (!_toolStarted && piece.Name.IsPresent && piece.Name.Length > 2)
        {
            StartToolBlock(piece.Name.StringContent(chunk), output);
        }

        var arguments = piece.ArgumentsKind switch
        {
            JsonTokenType.String => piece.Arguments.StringContent(chunk),
            JsonTokenType.StartObject => EscapeJson(piece.Arguments.Raw(chunk)),
            _ => default,
        };
        if (arguments.IsEmpty)
        {
            return;
        }
        if (_toolStarted)
        {
            AnthropicEvents.InputJsonDelta(output, _openIndex, arguments);
            _events++;
        }
        else
        {
            (_pendingArguments ??= new ArrayBufferWriter<byte>(256)).Write(arguments);
        }
    }

    /// <summary>Writes the open tool call's content_block_start (once) and any arguments that arrived before its name.</summary>
    private void StartToolBlock(ReadOnlySpan<byte> escapedName, IBufferWriter<byte> output)
    {
        if (_toolStarted)
        {
            return;
        }
        AnthropicEvents.ToolUseBlockStart(output, _openIndex, _toolId.AsSpan(0, _toolIdLength), escapedName);
        _events++;
        _toolStarted = true;
        if (_pendingArguments is { WrittenCount: > 0 })
        {
            AnthropicEvents.InputJsonDelta(output, _openIndex, _pendingArguments.WrittenSpan);
            _events++;
            _pendingArguments.ResetWrittenCount();
        }
    }

    private void SetToolId(ReadOnlySpan<byte> escapedId)
    {
        if (escapedId.Length > _toolId.Length)
        {
            _toolId = new byte[escapedId.Length];
        }
        escapedId.CopyTo(_toolId);
        _toolIdLength = escapedId.Length;
    }

    /// <summary>JSON text as the escaped content of a JSON string (the rare object-valued arguments).</summary>
    private static byte[] EscapeJson(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonEncodedText.Encode(json, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes.ToArray();
        }
        catch (ArgumentException)
        {
            // Invalid UTF-8 from the upstream (the reader does not check it inside strings): nothing sensible to send.
            return [];
        }
    }

    private static byte[] Escape(string text) =>
        JsonEncodedText.Encode(text, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes.ToArray();
}
