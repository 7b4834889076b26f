using System.Text.Unicode;
using LlmProxy.Configuration;
using LlmProxy.Http.Errors;
using Microsoft.Net.Http.Headers;

namespace LlmProxy.Http.Body;

/// <summary>
/// The gate every JSON route's body passes (docs/api.md, Request bodies): a JSON content type (else 415), a body within
/// the limit read once into a pooled buffer (else 413) and within the budget of bodies in flight (else, after a short
/// wait, 503), valid UTF-8 throughout (else 400). The error is written in the route's dialect and null returned;
/// otherwise the caller owns (and disposes) the body, and with it the body's room in the budget.
/// </summary>
internal sealed class JsonBodyGate(ProxySettings settings, ErrorDialects errors, BodyBudget budget)
{
    /// <summary>The OpenAI-style code of the 503 when the budget of bodies in flight is full.</summary>
    public const string BudgetFullCode = "server_overloaded";

    private readonly long _limit = settings.EffectiveMaxRequestBytes;

    /// <param name="context">The request whose body is read.</param>
    /// <param name="anyTypeWithoutOrigin">
    /// Read the body as JSON whatever its Content-Type when the request carries no <c>Origin</c> header (it did not come
    /// from a web page). Ollama's routes: Ollama itself ignores the type, and <c>curl -d</c>, the usage of Ollama's
    /// own docs, sends <c>application/x-www-form-urlencoded</c>. A browser page still needs a JSON type, which it can
    /// only send after a CORS preflight, so other sites cannot drive the models with a "simple" request
    /// (docs/ollama.md, Request bodies).
    /// </param>
    public async Task<PooledBody?> ReadAsync(HttpContext context, bool anyTypeWithoutOrigin = false)
    {
        var request = context.Request;
        if (!IsJson(request.ContentType) && !(anyTypeWithoutOrigin && !request.Headers.ContainsKey(HeaderNames.Origin)))
        {
            await errors.WriteAsync(context, new ProxyError(415, request.ContentType is null
                ? "Content-Type header is missing; send application/json"
                : "Content-Type must be application/json"));
            return null;
        }
        if (request.ContentLength > _limit)
        {
            await WriteTooLargeAsync(context);
            return null;
        }
        // The limit is at most 1 GiB (settings), so it is an int; reading stops one byte past it.
        PooledBody body;
        try
        {
            body = await PooledBody.ReadAsync(request.Body, (int)_limit, context.RequestAborted, request.ContentLength,
                reservation: budget.Open(context.RequestAborted));
        }
        catch (BodyBudgetExceededException)
        {
            // Connection: close — the rest of the body was not read, and draining it is what the budget refused.
            context.Response.Headers.Connection = "close";
            await WriteBudgetFullAsync(context);
            return null;
        }
        if (body.Length > _limit)
        {
            body.Dispose();
            await WriteTooLargeAsync(context);
            return null;
        }
        // JSON readers check UTF-8 only inside the strings they decode; check the whole body up front (vectorised):
        // the classic parser must not meet it half-way and the upstream deserves valid UTF-8 throughout.
        if (!Utf8.IsValid(body.Span))
        {
            body.Dispose();
            await errors.WriteAsync(context, new ProxyError(400, "Request body is not valid UTF-8"));
            return null;
        }
        return body;
    }

    /// <summary>
    /// Room in the budget of bodies in flight for a copy of the request's body that a door sends upstream (a rewritten or
    /// translated body): <paramref name="room"/> — the body's own, from <see cref="PooledBody.DetachReservation"/> —
    /// grown to <paramref name="totalBytes"/> when the copy may be larger. No room: the 503 is written and false returned.
    /// Otherwise the caller owns the room (null when there is no budget) and disposes it once the copy is gone.
    /// </summary>
    public async Task<(bool Reserved, BodyReservation? Room)> GrowRoomAsync(HttpContext context, BodyReservation? room, long totalBytes)
    {
        room ??= budget.Open(context.RequestAborted);
        if (room is null || room.Bytes >= totalBytes)
        {
            return (true, room);
        }
        try
        {
            await room.GrowAsync(totalBytes - room.Bytes);
            return (true, room);
        }
        catch (BodyBudgetExceededException)
        {
            room.Dispose();
            await WriteBudgetFullAsync(context);
            return (false, null);
        }
    }

    /// <summary>
    /// Room in the budget of bodies in flight for a translated copy of <paramref name="body"/> (the OpenAI body the
    /// Anthropic and Ollama doors build), taken before the copy is built: <paramref name="estimate"/> bytes, beside the
    /// body's own room. The copy is held in memory beside the body, and sent upstream, for as long as the request runs:
    /// it counts like the body. Grow the room with <see cref="GrowRoomAsync"/> once the copy's size is known. No room in
    /// time: the same 503 as for a body (with <c>Retry-After</c>, in the route's dialect) is written and false returned.
    /// Otherwise the caller owns the room (null when there is no budget) and disposes it once the copy is gone.
    /// </summary>
    public Task<(bool Reserved, BodyReservation? Room)> ReserveCopyAsync(HttpContext context, PooledBody body, long estimate) =>
        budget.Open(context.RequestAborted, alongside: body.Reservation) is { } room
            ? GrowRoomAsync(context, room, estimate)
            : Task.FromResult<(bool, BodyReservation?)>((true, null));

    private Task WriteBudgetFullAsync(HttpContext context) =>
        errors.WriteAsync(context, new ProxyError(StatusCodes.Status503ServiceUnavailable,
            $"The proxy holds as many request bodies as MAX_INFLIGHT_BODY_BYTES allows ({budget.CapacityBytes} bytes at once); retry in a moment",
            BudgetFullCode, RetryAfter: BodyBudget.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Accepts <c>application/json</c> and <c>application/*+json</c> (RFC 6839 §3.1), with any parameters.</summary>
    public static bool IsJson(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return false;
        }
        var mediaType = parsed.MediaType;
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    private Task WriteTooLargeAsync(HttpContext context) =>
        errors.WriteAsync(context, new ProxyError(413, $"Request body is larger than the limit of {_limit} bytes"));
}
