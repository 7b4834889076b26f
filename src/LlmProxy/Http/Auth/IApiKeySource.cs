namespace LlmProxy.Http.Auth;

/// <summary>
/// Where the auth check finds the accepted keys: a fixed table (PROXY_API_KEYS alone) or the keys file's reloader,
/// whose table changes on SIGHUP and when the file changes. Read once per request.
/// </summary>
internal interface IApiKeySource
{
    ApiKeyTable Current { get; }
}

/// <summary>The keys of PROXY_API_KEYS alone (no file): one table for the life of the process.</summary>
internal sealed class FixedApiKeys(ApiKeyTable table) : IApiKeySource
{
    public ApiKeyTable Current => table;
}
