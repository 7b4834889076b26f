using System.Text.Json;
using System.Text.Json.Serialization;
using LlmProxy.Configuration;
using LlmProxy.Doors.Anthropic;
using LlmProxy.Doors.Classic;
using LlmProxy.Doors.Ollama;
using LlmProxy.Doors.OpenAi;
using LlmProxy.Operations;
using LlmProxy.Tests.Support;
using LlmProxy.Upstreams;

namespace LlmProxy.Tests.Operations.Docs;

/// <summary>
/// Generates the OpenAPI description of the real application's routes with Microsoft.AspNetCore.OpenApi, in-process.
/// The proxy does not ship the generator (it would cost the binary about 3 MB and its start-up the schema work): the
/// document is made here, committed as src/LlmProxy/Operations/Docs/openapi.json and embedded at build time.
/// <c>./build.sh openapi</c> rewrites that file; <see cref="OpenApiDocumentTests"/> fails while it is stale.
/// </summary>
internal static class OpenApiGenerator
{
    /// <summary>Where the in-process app serves the generated document (the embedded one keeps /openapi.json).</summary>
    private const string GeneratedPath = "/openapi/generated.json";

    /// <summary>The generated document, with any extra test endpoints mapped beside the real ones.</summary>
    public static async Task<string> GenerateAsync(Action<WebApplication>? extraEndpoints = null)
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings(), Add, app =>
        {
            extraEndpoints?.Invoke(app);
            app.MapOpenApi(GeneratedPath);
        });
        return await proxy.Client.GetStringAsync(GeneratedPath);
    }

    private static void Add(WebApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            // The schema generator reads names and number rules from these options, not from the source-generated
            // contexts' own: match the wire (snake_case, numbers as numbers) or the document would show camelCase
            // names and "integer or string" numbers that the proxy never sends. The schemas come from these contexts
            // (reflection-based JSON is off in the tests as in the product).
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, UpstreamJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, ClassicJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(2, OpenAiJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(3, HealthJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(4, AnthropicJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(5, OllamaSchemaJsonContext.Default);
        });
        builder.Services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "llm-proxy";
                document.Info.Version = ProxyVersion.Text;
                document.Info.Description = "A small, fast gateway in front of OpenAI-compatible model servers.";
                // The generator would name the test server's address; the docs pages use the one they were loaded from.
                document.Servers = null;
                return Task.CompletedTask;
            });
            options.AddOperationTransformer<BearerAuthOperationTransformer>();
            options.AddOperationTransformer<RequestBodyOperationTransformer>();
            options.AddOperationTransformer<StreamResponseOperationTransformer>();
        });
    }
}
