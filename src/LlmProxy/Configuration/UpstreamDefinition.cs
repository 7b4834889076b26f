using System.Globalization;

namespace LlmProxy.Configuration;

/// <summary>
/// One named OpenAI-compatible model server (docs/upstreams.md): <c>UPSTREAMS=name=url</c> or <c>--upstream
/// name=url</c>, with its per-upstream options. A class whose <see cref="ToString"/> shows the URL without user info
/// and never the API key.
/// </summary>
internal sealed class UpstreamDefinition
{
    public UpstreamDefinition(string name, Uri baseUrl, UpstreamOptions? options = null)
    {
        Name = name;
        BaseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        Options = options ?? UpstreamOptions.Default;
    }

    /// <summary><c>[a-z0-9-]{1,32}</c>: routing, metrics labels, /healthz and the <c>x-llm-upstream</c> header know it by this.</summary>
    public string Name { get; }

    /// <summary>The server's OpenAI base (ends with '/'): requests go to <c>{base}chat/completions</c> and so on.</summary>
    public Uri BaseUrl { get; }

    public UpstreamOptions Options { get; }

    /// <summary>The base URL as it may be shown (logs, /healthz): user info, which may hold a password, left out.</summary>
    public string DisplayUrl => Display(BaseUrl);

    /// <summary>Scheme, host, port and path of <paramref name="url"/>, without user info.</summary>
    public static string Display(Uri url) => $"{url.Scheme}://{url.Authority}{url.AbsolutePath.TrimEnd('/')}";

    public override string ToString() => $"{Name}={DisplayUrl} ({Options})";
}

/// <summary>
/// The per-upstream settings <c>UPSTREAM_&lt;NAME&gt;_API_KEY</c>, <c>_PRIORITY</c>, <c>_MAX_CONCURRENCY</c>,
/// <c>_MODELS</c> (docs/configuration.md). Not a record: a record's <c>ToString</c> would print the key.
/// </summary>
internal sealed class UpstreamOptions
{
    public static readonly UpstreamOptions Default = new();

    /// <summary>Secret: sent as <c>Authorization: Bearer</c> (see <see cref="ApiKeyOverridesClient"/>).</summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// True for a key given per upstream: it is sent even when the client sent its own <c>Authorization</c>. False for
    /// the legacy <c>OPENAI_COMPAT_API_KEY</c>, which goes only when the client's header is not forwarded.
    /// </summary>
    public bool ApiKeyOverridesClient { get; init; }

    /// <summary>Lower is preferred; 0 by default.</summary>
    public int Priority { get; init; }

    /// <summary>Requests at once; 0 = unlimited.</summary>
    public int MaxConcurrency { get; init; }

    /// <summary>A fixed model list that replaces reading <c>{base}models</c>; null = read it.</summary>
    public IReadOnlyList<string>? Models { get; init; }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"ApiKey = {(ApiKey is null ? "(not set)" : "(set)")}, Priority = {Priority}, MaxConcurrency = {MaxConcurrency}, Models = {(Models is null ? "(read)" : string.Join(',', Models))}");
}
