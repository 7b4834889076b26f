using LlmProxy.Configuration;

namespace LlmProxy.Upstreams;

/// <summary>
/// Takes every secret out of what an upstream says before a client sees it (docs/security.md, Secrets). Model servers
/// echo credentials in their errors (<c>Incorrect API key provided: sk-…</c>); relayed as written, that would hand the
/// proxy's upstream key — or, with proxy keys, the operator's key list — to any client that can make the upstream
/// fail. Removed: the upstream key (OPENAI_COMPAT_API_KEY), every proxy API key, and the client's own
/// <c>Authorization</c> value as it was forwarded. Exact occurrences are replaced by <see cref="Mask"/>.
/// </summary>
internal sealed class UpstreamSecrets(ProxySettings settings)
{
    public const string Mask = "[redacted]";

    /// <summary>
    /// A client's bare credential shorter than this is not taken out on its own (its whole <c>Authorization</c> value
    /// always is): "Bearer test" must not turn "latest" into "la[redacted]". It is the client's own, so nobody else
    /// learns it. Configured secrets are taken out whatever their length.
    /// </summary>
    public const int MinClientCredentialLength = 8;

    // Longest first: a key that contains another is replaced whole.
    private readonly string[] _configured = settings.ApiKeys.Append(settings.OpenAiCompatApiKey)
        .Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length).ToArray();

    /// <summary>The failure with every secret taken out of its message, type, param and code.</summary>
    public UpstreamFailure Redact(UpstreamFailure failure, HttpContext context)
    {
        var message = Redact(failure.Message, context);
        var type = Redact(failure.Type, context);
        var param = Redact(failure.Param, context);
        var code = Redact(failure.Code, context);
        return ReferenceEquals(message, failure.Message) && ReferenceEquals(type, failure.Type) && ReferenceEquals(param, failure.Param) && ReferenceEquals(code, failure.Code)
            ? failure
            : failure with { Message = message!, Type = type, Param = param, Code = code };
    }

    /// <summary><paramref name="text"/> without the secrets; the same instance when it held none.</summary>
    public string? Redact(string? text, HttpContext context)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }
        foreach (var secret in _configured)
        {
            text = ReplaceAll(text, secret);
        }
        foreach (var value in context.Request.Headers.Authorization)
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }
            text = ReplaceAll(text, value);
            // "Bearer sk-…" is echoed as "sk-…" just as often as whole.
            var credential = value.AsSpan(value.IndexOf(' ') + 1).Trim();
            if (credential.Length >= MinClientCredentialLength)
            {
                text = ReplaceAll(text, credential.ToString());
            }
        }
        return text;
    }

    private static string ReplaceAll(string text, string secret) =>
        text.Contains(secret, StringComparison.Ordinal) ? text.Replace(secret, Mask, StringComparison.Ordinal) : text;
}
