using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Json;
using LlmProxy.Routing;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.OpenAi;

/// <summary>
/// GET /v1/models (CONTRACT §3): the exact model names of MODEL_PROVIDER_MAP plus the upstream's own list when some
/// route leads there and it answers, deduplicated by id, always <c>{"object":"list","data":[...]}</c> with id, object,
/// created and owned_by on every entry. An unreachable or failing upstream shrinks the list; it never fails it.
/// </summary>
public sealed partial class OpenAiModelsHandler(ProxySettings settings, UpstreamClient client, TimeProvider time, ILogger<OpenAiModelsHandler> logger)
{
    /// <summary>A model list is metadata: a client should not wait UPSTREAM_TIMEOUT_SECONDS (600 s) for it.</summary>
    public static readonly TimeSpan UpstreamListTimeout = TimeSpan.FromSeconds(10);

    private readonly long _started = time.GetUtcNow().ToUnixTimeSeconds();

    private bool UpstreamRouted =>
        settings.DefaultProvider == ProviderNames.Ollama || settings.ModelProviderMap.Mentions(ProviderNames.Ollama);

    public async Task HandleAsync(HttpContext context)
    {
        var entries = new List<ModelEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (UpstreamRouted)
        {
            await AddUpstreamModelsAsync(context, entries, seen);
        }
        foreach (var model in settings.ModelProviderMap.ExactModels.Order(StringComparer.Ordinal))
        {
            if (seen.Add(model))
            {
                entries.Add(new ModelEntry(model, "model", _started, settings.ModelProviderMap.Match(model) ?? settings.DefaultProvider));
            }
        }
        context.Response.StatusCode = 200;
        await context.Response.WriteAsJsonAsync(new ModelList("list", entries), ProxyJsonContext.Default.ModelList, contentType: null, context.RequestAborted);
    }

    private async Task AddUpstreamModelsAsync(HttpContext context, List<ModelEntry> entries, HashSet<string> seen)
    {
        var timeout = settings.UpstreamTimeout < UpstreamListTimeout ? settings.UpstreamTimeout : UpstreamListTimeout;
        using var idle = new IdleTimeout(timeout, context.RequestAborted);
        var result = await client.SendAsync(context, HttpMethod.Get, "models", null, idle);
        if (result.Response is not { } response)
        {
            LogUpstreamListFailed(logger, result.Failure.ToString());
            return;
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                LogUpstreamListFailed(logger, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                return;
            }
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(idle.Token);
                using var body = await UpstreamBody.ReadAsync(stream, 16 * 1024 * 1024, idle, truncate: false);
                Parse(body.Memory, entries, seen);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or JsonException or UpstreamBodyTooLargeException
                                      || (e is OperationCanceledException && idle.TimedOut))
            {
                LogUpstreamListFailed(logger, e.GetType().Name);
            }
        }
    }

    /// <summary>OpenAI's shape, <c>{"data":[{"id":...}]}</c>; entries without an id are skipped, missing fields filled.</summary>
    private void Parse(ReadOnlyMemory<byte> body, List<ModelEntry> entries, HashSet<string> seen)
    {
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return;
        }
        foreach (var item in data.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || id.GetString() is not { Length: > 0 } name || !seen.Add(name))
            {
                continue;
            }
            var created = item.TryGetProperty("created", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var value) ? value : _started;
            var ownedBy = item.TryGetProperty("owned_by", out var o) && o.ValueKind == JsonValueKind.String && o.GetString() is { Length: > 0 } owner
                ? owner
                : ProviderNames.Ollama;
            entries.Add(new ModelEntry(name, "model", created, ownedBy));
        }
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "upstream model list unavailable ({Reason}); listing the map's models only")]
    private static partial void LogUpstreamListFailed(ILogger logger, string reason);
}
