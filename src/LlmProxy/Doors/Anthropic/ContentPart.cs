namespace LlmProxy.Doors.Anthropic;

internal enum ContentPartKind : byte
{
    Text,
    ImageBase64,
    ImageUrl,
    ToolUse,
    ToolResult,
}

/// <summary>
/// One content block of an Anthropic message that the translation carries, as slices of the request body. Which
/// slices are set depends on <see cref="Kind"/>: text → <see cref="Text"/>; base64 image → <see cref="MediaType"/> and
/// <see cref="Data"/>; URL image → <see cref="Text"/> (the URL); tool_use → <see cref="Id"/>, <see cref="Name"/>,
/// <see cref="Input"/>; tool_result → <see cref="Id"/> (tool_use_id), <see cref="Text"/> (string content) or the
/// children <see cref="ChildStart"/>..+<see cref="ChildCount"/> in <see cref="AnthropicRequest.ResultParts"/>.
/// </summary>
internal readonly record struct ContentPart
{
    public ContentPartKind Kind { get; init; }
    public JsonSlice Text { get; init; }
    public JsonSlice MediaType { get; init; }
    public JsonSlice Data { get; init; }
    public JsonSlice Id { get; init; }
    public JsonSlice Name { get; init; }
    public JsonSlice Input { get; init; }
    public bool IsError { get; init; }
    public int ChildStart { get; init; }
    public int ChildCount { get; init; }
}

/// <summary>One message: its role and either string content or the parts <see cref="FirstPart"/>..+<see cref="PartCount"/>.</summary>
internal readonly record struct MessageEntry(bool IsAssistant, JsonSlice StringContent, int FirstPart, int PartCount);

/// <summary>A client tool (<c>type</c> absent or <c>custom</c>); Anthropic's server tools cannot be carried and are dropped.</summary>
internal readonly record struct ToolEntry(JsonSlice Name, JsonSlice Description, JsonSlice InputSchema);

internal enum ToolChoiceKind : byte
{
    Unset,
    Auto,
    Any,
    Tool,
    None,
}
