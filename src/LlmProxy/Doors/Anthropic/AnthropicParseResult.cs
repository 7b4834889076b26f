using System.Diagnostics.CodeAnalysis;

namespace LlmProxy.Doors.Anthropic;

/// <summary>A parsed request, or the problem that makes it a 400 <c>invalid_request_error</c> (the message names the field).</summary>
internal readonly record struct AnthropicParseResult(AnthropicRequest? Request, string? Problem)
{
    [MemberNotNullWhen(true, nameof(Request))]
    [MemberNotNullWhen(false, nameof(Problem))]
    public bool IsValid => Request is not null;
}
