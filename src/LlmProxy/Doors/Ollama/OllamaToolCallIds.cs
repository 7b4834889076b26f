using System.Globalization;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// Ollama's chat history names tool calls without ids: an assistant message has <c>tool_calls</c> of
/// <c>{function:{name, arguments}}</c> and the answer is a <c>role: tool</c> message with at most a <c>tool_name</c>.
/// OpenAI needs an id on each call and the same id on its answer. Calls without an id get <c>call_&lt;n&gt;</c>
/// (n counts the request's calls), and each tool message takes the id of the latest assistant turn's call it answers:
/// the first unanswered call of the same name, else the first unanswered call. Ids the client sent (newer Ollama clients
/// send <c>id</c> and <c>tool_call_id</c>) are kept. docs/ollama.md, "Tools".
/// </summary>
internal sealed class OllamaToolCallIds
{
    private readonly List<PendingCall> _calls = [];
    private int _next;

    /// <summary>A new assistant turn with tool calls: the previous turn's calls can no longer be answered.</summary>
    public void BeginAssistantTurn() => _calls.Clear();

    /// <summary>Records one call of the current turn and returns its id (the client's, or a new <c>call_&lt;n&gt;</c>).</summary>
    public string AddCall(string? clientId, string name)
    {
        var id = string.IsNullOrEmpty(clientId) ? Synthesize() : clientId;
        _calls.Add(new PendingCall(id, name));
        return id;
    }

    /// <summary>The id a tool message answers, by the rules above; marks that call answered.</summary>
    public string Answer(string? clientId, string? toolName)
    {
        if (!string.IsNullOrEmpty(clientId))
        {
            Mark(_calls.FindIndex(c => c.Id == clientId));
            return clientId;
        }
        var index = toolName is null ? -1 : _calls.FindIndex(c => !c.Answered && c.Name == toolName);
        if (index < 0)
        {
            index = _calls.FindIndex(c => !c.Answered);
        }
        if (index < 0 && toolName is not null)
        {
            // A second answer to the same call (a client resending a result): the same id again.
            index = _calls.FindLastIndex(c => c.Name == toolName);
        }
        if (index < 0)
        {
            // No call to answer at all: an id no call has, so an upstream that checks can say so.
            return Synthesize();
        }
        Mark(index);
        return _calls[index].Id;
    }

    private string Synthesize() => string.Create(CultureInfo.InvariantCulture, $"call_{_next++}");

    private void Mark(int index)
    {
        if (index >= 0)
        {
            _calls[index] = _calls[index] with { Answered = true };
        }
    }

    private readonly record struct PendingCall(string Id, string Name, bool Answered = false);
}
