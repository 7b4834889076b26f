namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// What the door tells both answer translators about the message they write.
/// </summary>
/// <param name="MessageId">The message's <c>id</c> (<see cref="AnthropicIds.ForMessage"/>).</param>
/// <param name="Model">The model name to echo: the one the client asked for, not the upstream's name for it.</param>
/// <param name="IncludeThinking">The client enabled thinking: upstream reasoning text becomes thinking blocks.</param>
/// <param name="InputTokens">
/// The input tokens to report until the upstream says (message_start goes out before the usage arrives); the door
/// passes <see cref="AnthropicRequest.EstimateInputTokens"/>. The upstream's <c>prompt_tokens</c> replace it.
/// </param>
internal sealed record AnthropicReplyOptions(string MessageId, string Model, bool IncludeThinking = false, int InputTokens = 0);

/// <summary>Token counts the upstream reported; null where it reported none.</summary>
internal readonly record struct TokenUsage(int? InputTokens, int? OutputTokens);
