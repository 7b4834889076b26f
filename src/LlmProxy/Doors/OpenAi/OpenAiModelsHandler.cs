using System.Text.Json.Serialization;
using LlmProxy.Http.Auth;
using LlmProxy.Routing;

namespace LlmProxy.Doors.OpenAi;

/// <summary>
/// GET /v1/models (docs/api.md, OpenAI routes): routing's model listing (<see cref="ModelListing"/>) in OpenAI's shape,
/// always <c>{"object":"list","data":[...]}</c> with id, object, created and owned_by on every entry. An unreachable
/// or failing upstream shrinks the list; it never fails it. An API key with <c>models=</c> sees only the models it may
/// use (docs/replicas.md, Per-key settings).
/// </summary>
internal sealed class OpenAiModelsHandler(ModelListing listing)
{
    public async Task HandleAsync(HttpContext context)
    {
        var models = await listing.ListAsync(context);
        var entries = new List<ModelEntry>(models.Count);
        foreach (var model in models)
        {
            if (ModelAccess.Allows(context, model.Id))
            {
                entries.Add(new ModelEntry(model.Id, "model", model.Created, model.OwnedBy));
            }
        }
        context.Response.StatusCode = 200;
        await context.Response.WriteAsJsonAsync(new ModelList("list", entries), OpenAiJsonContext.Default.ModelList, contentType: null, context.RequestAborted);
    }
}

/// <summary><c>GET /v1/models</c>: always <c>{"object":"list","data":[...]}</c>.</summary>
internal sealed record ModelList(string Object, IReadOnlyList<ModelEntry> Data);

internal sealed record ModelEntry(string Id, string Object, long Created, string OwnedBy);

/// <summary>Source-generated JSON for the OpenAI door's own answers (no reflection: Native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ModelList))]
internal sealed partial class OpenAiJsonContext : JsonSerializerContext;
