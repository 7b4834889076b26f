using LlmProxy.Http;
using LlmProxy.Http.Body;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// <c>POST /v1/messages/count_tokens</c> (docs/anthropic.md, count_tokens): the same body as <c>/v1/messages</c> without
/// <c>max_tokens</c>, validated the same way, answered <c>{"input_tokens":N}</c> with the door's estimate of what the
/// translation would send (<see cref="AnthropicTokenEstimator"/>). No upstream is asked: the servers behind the proxy
/// share no tokenizer endpoint, and Claude Code calls this often enough that a round trip per call would show.
/// </summary>
internal sealed class AnthropicCountTokensHandler(JsonBodyGate bodies)
{
    public async Task HandleAsync(HttpContext context)
    {
        int tokens;
        using (var body = await bodies.ReadAsync(context))
        {
            if (body is null)
            {
                return;
            }
            var parsed = AnthropicRequestParser.Parse(body.Memory, requireMaxTokens: false);
            if (!parsed.IsValid)
            {
                await AnthropicErrorDialect.Instance.WriteAsync(context, new(400, parsed.Problem));
                return;
            }
            // The model is recorded for the request log; no upstream is involved, so no provider (and no llm_* series).
            RequestOutcome.Of(context).Model = parsed.Request.Model;
            tokens = parsed.Request.EstimateInputTokens();
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        await context.Response.WriteAsJsonAsync(new AnthropicTokenCount(tokens), AnthropicJsonContext.Default.AnthropicTokenCount,
            contentType: null, context.RequestAborted);
    }
}
