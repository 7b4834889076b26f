using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Http.Body;
using LlmProxy.Http.Errors;
using LlmProxy.Json;
using LlmProxy.Metrics;
using LlmProxy.Routing;

namespace LlmProxy.Doors.Classic;

/// <summary>
/// /proxy and /proxy/stream (CONTRACT §2.2): content type → bounded body read → parse and validate (every problem) →
/// route by model → provider. Hostile bodies end as 400/413/415/422, never 500.
/// </summary>
public sealed class SeedChatHandler(ProxySettings settings, ProviderRouter router, LlmMetrics metrics)
{
    public async Task HandleAsync(HttpContext context, bool stream)
    {
        var cancellationToken = context.RequestAborted;
        using var body = await JsonRequestBody.ReadAsync(context, settings);
        if (body is null)
        {
            return;
        }
        var problems = new List<ValidationProblem>();
        ChatRequest? request;
        try
        {
            request = SeedRequestParser.Parse(body.Memory, problems);
        }
        catch (JsonException e)
        {
            await ErrorWriter.WriteAsync(context, 400, $"Request body is not valid JSON: {e.Message}");
            return;
        }
        if (request is null)
        {
            await ErrorWriter.WriteValidationAsync(context, problems);
            return;
        }

        var provider = router.Resolve(request.Model);
        var facts = RequestFacts.For(context);
        facts.Model = request.Model;
        facts.Provider = provider.Name;
        if (stream)
        {
            using var open = metrics.TrackStream();
            await provider.StreamAsync(request, context, cancellationToken);
            return;
        }
        var completion = await provider.CompleteAsync(request, context, cancellationToken);
        if (completion is null)
        {
            return; // the provider answered already (an upstream error, CONTRACT §5)
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, completion, ProxyJsonContext.Default.ChatCompletion, cancellationToken);
    }
}
