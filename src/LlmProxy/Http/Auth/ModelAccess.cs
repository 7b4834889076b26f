using LlmProxy.Http.Errors;

namespace LlmProxy.Http.Auth;

/// <summary>
/// The <c>models=</c> of a key's line, applied once a door knows the model (docs/replicas.md, "Per-key settings"): a
/// model outside the list is 403, which the door writes in its own dialect (OpenAI: <c>permission_error</c> /
/// <c>model_not_allowed</c>).
/// </summary>
internal static class ModelAccess
{
    public const string NotAllowedCode = "model_not_allowed";

    /// <summary>
    /// Null when the request's key may use the model (or there is no key, or no list); otherwise the 403 to answer.
    /// </summary>
    /// <param name="requestedModel">The model name the client sent.</param>
    /// <param name="resolvedModel">
    /// The model it resolves to when routing maps names (an alias target); the request is allowed when either name is
    /// on the list, so a key may be given an alias without the model behind it, or the model under any alias.
    /// </param>
    public static ProxyError? Refusal(HttpContext context, string requestedModel, string? resolvedModel = null)
    {
        if (ApiKeyEntry.Of(context) is not { Models: { } models } key
            || models.Allows(requestedModel)
            || (resolvedModel is not null && models.Allows(resolvedModel)))
        {
            return null;
        }
        return new ProxyError(StatusCodes.Status403Forbidden,
            $"The API key '{key.Name}' may not use model '{requestedModel}' (its models: {models.Text})",
            Code: NotAllowedCode, Param: "model");
    }

    /// <summary>Whether the request's key may use <paramref name="model"/> (lists such as /v1/models show only these).</summary>
    public static bool Allows(HttpContext context, string model) => ApiKeyEntry.Of(context)?.AllowsModel(model) ?? true;
}
